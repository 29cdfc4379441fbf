using Trl.Training;

namespace Trl.OnlineDpo;

/// <summary>TRL's OnlineDPOConfig: training arguments plus sampling, reward and DPO-loss fields, with TRL's defaults
/// (learning_rate 5e-7, max_new_tokens 64, temperature 0.9, beta [0.1], loss_type sigmoid).</summary>
public record OnlineDpoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's Online DPO defaults.</summary>
    public OnlineDpoConfig()
    {
        LearningRate = 5e-7;
        LoggingSteps = 10;
    }

    /// <summary>Tokens sampled per completion.</summary>
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>Prompt + completion cap of the log-prob pass (the prompt loses its first tokens); generation sees the whole prompt.</summary>
    public int? MaxLength { get; init; } = 512;
    /// <summary>Sampling temperature (log-probs use the raw logits).</summary>
    public double Temperature { get; init; } = 0.9;
    /// <summary>Nucleus sampling mass.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Top-k sampling (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Min-p sampling (null = off).</summary>
    public double? MinP { get; init; }
    /// <summary>Repetition penalty (1 = off).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Subtracted from the reward of a completion without EOS (null = none).</summary>
    public double? MissingEosPenalty { get; init; }
    /// <summary>β, one value or one per epoch (the last one holds after the list ends).</summary>
    public IReadOnlyList<double> Beta { get; init; } = new[] { 0.1 };
    /// <summary>sigmoid or ipo.</summary>
    public string LossType { get; init; } = "sigmoid";
    /// <summary>Weights of the reward functions (null = all 1).</summary>
    public IReadOnlyList<double>? RewardWeights { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (LossType is not ("sigmoid" or "ipo")) throw new ArgumentException($"loss_type must be sigmoid or ipo (got '{LossType}').");
        if (Beta.Count == 0 || Beta.Any(b => !(b > 0))) throw new ArgumentException("beta must be one or more positive values.");
        if (MaxNewTokens < 1) throw new ArgumentException("max_new_tokens must be at least 1.");
        if (Temperature <= 0) throw new ArgumentException("temperature must be positive.");
        if (MaxLength is int max && max <= MaxNewTokens) throw new ArgumentException($"max_length ({max}) must exceed max_new_tokens ({MaxNewTokens}) to leave room for the prompt.");
    }
}
