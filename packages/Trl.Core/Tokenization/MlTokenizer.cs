using Microsoft.ML.Tokenizers;

namespace Trl.Tokenization;

/// <summary>Any Microsoft.ML.Tokenizers tokenizer (BPE, Tiktoken, SentencePiece, …) as an <see cref="ITextTokenizer"/>,
/// with the special tokens and chat template a model folder would give it.</summary>
public sealed class MlTokenizer(Tokenizer tokenizer, int vocabSize, SpecialTokens special, string? chatTemplate = null) : ITextTokenizer
{
    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Inner { get; } = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    /// <inheritdoc />
    public int VocabSize { get; } = vocabSize;
    /// <inheritdoc />
    public SpecialTokens Special { get; } = special ?? throw new ArgumentNullException(nameof(special));
    /// <inheritdoc />
    public string? ChatTemplate { get; } = chatTemplate;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> NamedChatTemplates { get; init; } = new Dictionary<string, string>();

    /// <summary>Ids skipped by <see cref="Decode"/> with skipSpecialTokens (the added tokens marked special); when
    /// empty, the EOS, BOS and pad ids.</summary>
    public IReadOnlySet<long> SpecialTokenIds { get; init; } = new HashSet<long>();

    /// <inheritdoc />
    public IReadOnlyList<long> Encode(string text) => Inner.EncodeToIds(text).Select(i => (long)i).ToArray();

    /// <inheritdoc />
    public IReadOnlyList<(long Id, int Start, int End)> EncodeWithOffsets(string text) =>
        Inner.EncodeToTokens(text, out _).Select(t => ((long)t.Id, t.Offset.Start.GetOffset(text.Length), t.Offset.End.GetOffset(text.Length))).ToArray();

    /// <inheritdoc />
    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var special = SpecialTokenIds.Count > 0 ? SpecialTokenIds
            : new[] { Special.EosTokenId, Special.BosTokenId, Special.PadTokenId }.OfType<long>().ToHashSet();
        // Ids past the vocabulary (embedding matrices are often padded larger) decode to nothing, as in HF.
        return Inner.Decode(ids.Where(i => i < VocabSize && !(skipSpecialTokens && special.Contains(i))).Select(i => checked((int)i))) ?? "";
    }
}
