namespace Trl.Sft;

/// <summary>One tokenized SFT sequence. Masks are per token (1 = counts for the loss); null when the dataset format
/// has none.</summary>
public sealed record SftExample(IReadOnlyList<long> InputIds)
{
    /// <summary>1 on completion tokens (prompt/completion data).</summary>
    public IReadOnlyList<int>? CompletionMask { get; init; }

    /// <summary>1 on assistant tokens (conversational data with a generation-marked chat template).</summary>
    public IReadOnlyList<int>? AssistantMask { get; init; }

    /// <summary>Lengths of the original sequences when several were packed into this one.</summary>
    public IReadOnlyList<int>? SequenceLengths { get; init; }
}
