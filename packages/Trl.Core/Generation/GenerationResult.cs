namespace Trl.Generation;

/// <summary>Generated sequences: for each returned sequence, its prompt ids and its completion ids (ending with
/// the EOS id when one was produced; no padding).</summary>
public sealed record GenerationResult(IReadOnlyList<IReadOnlyList<long>> PromptIds, IReadOnlyList<IReadOnlyList<long>> CompletionIds)
{
    /// <summary>Whether each completion ended with an EOS token (rather than hitting MaxNewTokens).</summary>
    public IReadOnlyList<bool> EndedWithEos { get; init; } = Array.Empty<bool>();
}
