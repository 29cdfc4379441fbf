using Trl.Training;

namespace Trl.Reward;

/// <summary>TRL's RewardConfig: training arguments plus reward-modelling fields, with TRL's defaults.</summary>
public record RewardConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's defaults (learning_rate 1e-4, logging_steps 10).</summary>
    public RewardConfig()
    {
        LearningRate = 1e-4;
        LoggingSteps = 10;
    }

    /// <summary>Rows whose chosen or rejected sequence is longer are dropped (no truncation). Null = keep all.</summary>
    public int? MaxLength { get; init; } = 1024;
    /// <summary>Weight of mean((r_c + r_r)²), which keeps rewards centred; null = off.</summary>
    public double? CenterRewardsCoefficient { get; init; }
    /// <summary>EOS token text appended to completions; null = the tokenizer's.</summary>
    public string? EosToken { get; init; }
    /// <summary>Pad lengths to a multiple of this.</summary>
    public int? PadToMultipleOf { get; init; }
}
