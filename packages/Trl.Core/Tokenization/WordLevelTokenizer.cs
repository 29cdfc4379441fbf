using System.Text.RegularExpressions;

namespace Trl.Tokenization;

/// <summary>The Hugging Face <c>tokenizers</c> WordLevel model with an optional Lowercase normalizer and the
/// Whitespace pre-tokenizer (<c>\w+|[^\w\s]+</c>). Added tokens are matched in the raw text first, as the Rust
/// library does. Decoding joins tokens with a space (no decoder).</summary>
internal sealed partial class WordLevelTokenizer : ITextTokenizer
{
    readonly Dictionary<string, long> _vocab;
    readonly Dictionary<long, string> _byId;
    readonly (string Content, long Id, bool Special)[] _added;
    readonly bool _lowercase;
    readonly long _unkId;

    /// <summary>Creates a tokenizer from its vocabulary and added tokens.</summary>
    public WordLevelTokenizer(IReadOnlyDictionary<string, long> vocab, IEnumerable<(string Content, long Id, bool Special)> addedTokens,
        string unkToken, bool lowercase, SpecialTokens special, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        _vocab = new Dictionary<string, long>(vocab, StringComparer.Ordinal);
        _added = addedTokens.OrderByDescending(a => a.Content.Length).ToArray();
        foreach (var a in _added) _vocab[a.Content] = a.Id;
        _byId = _vocab.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
        if (!_vocab.TryGetValue(unkToken, out _unkId))
            throw new InvalidDataException($"WordLevel unk_token '{unkToken}' is not in the vocabulary.");
        _lowercase = lowercase;
        Special = special;
        ChatTemplate = chatTemplate;
    }

    /// <inheritdoc />
    public int VocabSize => (int)(_byId.Keys.Max() + 1);
    /// <inheritdoc />
    public SpecialTokens Special { get; }
    /// <inheritdoc />
    public string? ChatTemplate { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> NamedChatTemplates { get; internal set; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public IReadOnlyList<long> Encode(string text) => EncodeWithOffsets(text).Select(t => t.Id).ToArray();

    /// <inheritdoc />
    public IReadOnlyList<(long Id, int Start, int End)> EncodeWithOffsets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AddedTokens.Encode(text, _added, (from, to, _, ids) => EncodePlain(text, from, to, ids));
    }

    void EncodePlain(string text, int from, int to, List<(long, int, int)> ids)
    {
        if (to <= from) return;
        var segment = text[from..to];
        if (_lowercase) segment = segment.ToLowerInvariant();   // invariant lowercasing keeps character positions
        foreach (Match m in Words().Matches(segment))
            ids.Add((_vocab.TryGetValue(m.Value, out var id) ? id : _unkId, from + m.Index, from + m.Index + m.Length));
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var special = _added.Where(a => a.Special).Select(a => a.Id).ToHashSet();
        // Ids past the tokenizer's vocabulary (a model's embedding matrix is often padded larger) decode to nothing,
        // as in HF tokenizers.
        return string.Join(" ", ids.Where(i => !(skipSpecialTokens && special.Contains(i)) && _byId.ContainsKey(i)).Select(i => _byId[i]));
    }

    [GeneratedRegex(@"\w+|[^\w\s]+")]
    private static partial Regex Words();
}
