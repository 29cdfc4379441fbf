namespace Trl.Kto;

/// <summary>One unpaired example: prompt, completion, whether it is desirable, and the mismatched completion used
/// for the KL estimate.</summary>
public sealed record KtoExample(IReadOnlyList<long> PromptIds, IReadOnlyList<long> CompletionIds, bool Label)
{
    /// <summary>The completion of another row in the same batch block (KL pair).</summary>
    public IReadOnlyList<long> KlCompletionIds { get; init; } = Array.Empty<long>();
}
