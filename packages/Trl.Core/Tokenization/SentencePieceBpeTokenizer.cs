using System.Globalization;
using System.Text;

namespace Trl.Tokenization;

/// <summary>The SentencePiece-style BPE of Llama 2, Mistral, TinyLlama and their kin as Hugging Face's tokenizer.json
/// describes it: spaces become "▁" (with a "▁" prepended, by a Prepend normalizer or a Metaspace pre-tokenizer),
/// BPE merges by rank over the characters, characters outside the vocabulary as their UTF-8 bytes (&lt;0xXX&gt;,
/// byte_fallback) or as one fused unknown token, added tokens matched in the raw text first. Decoding reverses it:
/// "▁" → space, byte tokens → UTF-8, and the one space the encoder prepended is stripped.</summary>
internal sealed class SentencePieceBpeTokenizer : ITextTokenizer
{
    const string Space = "\u2581";
    readonly Dictionary<string, long> _vocab;
    readonly Dictionary<long, string> _byId;
    readonly Dictionary<(long, long), (int Rank, long Merged)> _merges = new();
    readonly (string Content, long Id, bool Special)[] _added;
    readonly long? _unkId;
    readonly bool _byteFallback, _fuseUnknown;
    readonly string _prependScheme;
    readonly bool _splitWords;

    /// <summary>Creates the tokenizer. <paramref name="merges"/> are "a b" pairs in rank order;
    /// <paramref name="prependScheme"/> is normalizer (a Prepend normalizer: every segment), always, first (only the
    /// text's first segment) or never (Metaspace's schemes, which skip a segment already starting with a space);
    /// <paramref name="splitWords"/> runs BPE per "▁"-word as Metaspace(split=true) does.</summary>
    public SentencePieceBpeTokenizer(IReadOnlyDictionary<string, long> vocab, IEnumerable<string> merges,
        IEnumerable<(string Content, long Id, bool Special)> addedTokens, string? unkToken, bool byteFallback, bool fuseUnknown,
        string prependScheme, bool splitWords, SpecialTokens special, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(addedTokens);
        _vocab = new Dictionary<string, long>(vocab, StringComparer.Ordinal);
        _added = addedTokens.OrderByDescending(a => a.Content.Length).ToArray();
        _byId = _vocab.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
        foreach (var a in _added) _byId[a.Id] = a.Content;
        int rank = 0;
        foreach (var merge in merges)
        {
            int split = merge.IndexOf(' ', StringComparison.Ordinal);
            var (left, right) = (merge[..split], merge[(split + 1)..]);
            if (_vocab.TryGetValue(left, out var l) && _vocab.TryGetValue(right, out var r) && _vocab.TryGetValue(left + right, out var m))
                _merges.TryAdd((l, r), (rank, m));
            rank++;
        }
        _unkId = unkToken is not null && _vocab.TryGetValue(unkToken, out var unk) ? unk : null;
        _byteFallback = byteFallback;
        _fuseUnknown = fuseUnknown;
        _prependScheme = prependScheme;
        _splitWords = splitWords;
        Special = special ?? throw new ArgumentNullException(nameof(special));
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
        return AddedTokens.Encode(text, _added, (from, to, first, result) => EncodeSegment(text, from, to, first, result));
    }

    /// <summary>Normalises text[start..end) ("▁" for spaces, the prepended "▁") and runs BPE on it (or on each word).</summary>
    void EncodeSegment(string text, int start, int end, bool first, List<(long, int, int)> result)
    {
        // Characters of the normalised segment with the offset of the original character each came from.
        var chars = new List<(string Char, int Start, int End)>();
        var segment = text[start..end];
        bool prepend = _prependScheme switch
        {
            "normalizer" => true,                                  // the Prepend normalizer: unconditional
            "always" => !segment.StartsWith(' '),                   // Metaspace: unless it already starts with one
            "first" => first && !segment.StartsWith(' '),
            _ => false,
        };
        if (prepend) chars.Add((Space, start, start));
        for (int i = 0; i < segment.Length;)
        {
            var rune = Rune.GetRuneAt(segment, i);
            var s = rune.ToString();
            chars.Add((s == " " ? Space : s, start + i, start + i + rune.Utf16SequenceLength));
            i += rune.Utf16SequenceLength;
        }
        if (!_splitWords) { Bpe(chars, result); return; }
        int wordStart = 0;
        for (int i = 1; i <= chars.Count; i++)
            if (i == chars.Count || chars[i].Char == Space)
            {
                Bpe(chars.GetRange(wordStart, i - wordStart), result);
                wordStart = i;
            }
    }

    void Bpe(List<(string Char, int Start, int End)> chars, List<(long, int, int)> result)
    {
        var symbols = new List<(long Id, int Start, int End)>();
        foreach (var (c, s, e) in chars)
        {
            if (_vocab.TryGetValue(c, out var id)) { symbols.Add((id, s, e)); continue; }
            if (_byteFallback && Encoding.UTF8.GetBytes(c).Select(b => _vocab.TryGetValue($"<0x{b:X2}>", out var bid) ? bid : -1).ToArray() is var bytes && bytes.All(b => b >= 0))
            {
                foreach (var b in bytes) symbols.Add((b, s, e));
                continue;
            }
            if (_unkId is not long unk) throw new InvalidDataException($"'{c}' is not in the vocabulary and the tokenizer has no unk_token.");
            if (_fuseUnknown && symbols.Count > 0 && symbols[^1].Id == unk) symbols[^1] = (unk, symbols[^1].Start, e);
            else symbols.Add((unk, s, e));
        }
        // Merge the adjacent pair of lowest rank (leftmost first) until no pair has a merge.
        while (symbols.Count > 1)
        {
            int bestAt = -1, bestRank = int.MaxValue;
            long merged = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_merges.TryGetValue((symbols[i].Id, symbols[i + 1].Id), out var m) && m.Rank < bestRank)
                    (bestAt, bestRank, merged) = (i, m.Rank, m.Merged);
            if (bestAt < 0) break;
            symbols[bestAt] = (merged, symbols[bestAt].Start, symbols[bestAt + 1].End);
            symbols.RemoveAt(bestAt + 1);
        }
        result.AddRange(symbols.Select(x => (x.Id, x.Start, x.End)));
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var special = _added.Where(a => a.Special).Select(a => a.Id).ToHashSet();
        var text = new StringBuilder();
        var pendingBytes = new List<byte>();
        void FlushBytes()
        {
            if (pendingBytes.Count == 0) return;
            text.Append(Encoding.UTF8.GetString(pendingBytes.ToArray()));
            pendingBytes.Clear();
        }
        foreach (var id in ids)
        {
            if (skipSpecialTokens && special.Contains(id)) continue;
            if (!_byId.TryGetValue(id, out var token)) continue;     // past the vocabulary: nothing, as in HF
            if (_byteFallback && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token.EndsWith('>')
                && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                pendingBytes.Add(b);
                continue;
            }
            FlushBytes();
            text.Append(token.Replace(Space, " ", StringComparison.Ordinal));
        }
        FlushBytes();
        return text.Length > 0 && text[0] == ' ' ? text.ToString(1, text.Length - 1) : text.ToString();
    }
}
