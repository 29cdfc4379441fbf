using Trl.Training;

namespace Trl.Sft;

/// <summary>TRL's SFTConfig: the training arguments plus SFT's own fields, with TRL's defaults.</summary>
public record SftConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's SFT defaults (learning_rate 2e-5, logging_steps 10).</summary>
    public SftConfig()
    {
        LearningRate = 2e-5;
        LoggingSteps = 10;
    }

    /// <summary>Column holding the text of language-modeling data.</summary>
    public string DatasetTextField { get; init; } = "text";
    /// <summary>Longest tokenized sequence; longer ones are truncated. Null = no limit.</summary>
    public int? MaxLength { get; init; } = 1024;
    /// <summary>keep_start or keep_end.</summary>
    public string TruncationMode { get; init; } = "keep_start";
    /// <summary>Loss on completion tokens only; null = on for prompt/completion data.</summary>
    public bool? CompletionOnlyLoss { get; init; }
    /// <summary>Loss on assistant tokens only (conversational data; needs {% generation %} markers in the template).</summary>
    public bool AssistantOnlyLoss { get; init; }
    /// <summary>nll, chunked_nll (TRL's default) or dft.</summary>
    public string LossType { get; init; } = "chunked_nll";
    /// <summary>EOS token text appended to each example; null = the tokenizer's.</summary>
    public string? EosToken { get; init; }
    /// <summary>Pack several examples into each max_length row.</summary>
    public bool Packing { get; init; }
    /// <summary>bfd (best-fit-decreasing, padding-free), bfd_split (long examples split first) or wrapped.</summary>
    public string PackingStrategy { get; init; } = "bfd";
    /// <summary>Concatenate each batch into one row with per-document position ids (forced on by bfd packing).</summary>
    public bool PaddingFree { get; init; }
    /// <summary>Whether batches are padding-free: asked for, or implied by bfd packing.</summary>
    public bool UsesPaddingFree => PaddingFree || (Packing && PackingStrategy.StartsWith("bfd", StringComparison.Ordinal));

    /// <summary>Pad sequence lengths to a multiple of this.</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary>Supported loss types.</summary>
    public static readonly IReadOnlyList<string> LossTypes = new[] { "nll", "chunked_nll", "dft" };

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!LossTypes.Contains(LossType)) throw new ArgumentException($"loss_type '{LossType}' is not supported for SFT ({string.Join(", ", LossTypes)}).");
        if (TruncationMode is not ("keep_start" or "keep_end")) throw new ArgumentException($"truncation_mode must be keep_start or keep_end (got '{TruncationMode}').");
        if (MaxLength is < 1) throw new ArgumentException($"max_length must be ≥ 1 (got {MaxLength}).");
        if (PackingStrategy == "bfd-requeue") throw new ArgumentException("packing_strategy 'bfd-requeue' was renamed 'bfd_split'.");
        if (PackingStrategy is not ("bfd" or "bfd_split" or "wrapped")) throw new ArgumentException($"packing_strategy must be bfd, bfd_split or wrapped (got '{PackingStrategy}').");
        if (Packing && MaxLength is null) throw new ArgumentException("packing needs max_length (the length of a packed row).");
        if (PaddingFree && !Packing && MaxLength is not null) throw new ArgumentException("padding_free without packing needs max_length = None (rows would be cut mid-sequence).");
    }
}
