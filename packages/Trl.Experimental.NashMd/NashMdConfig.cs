using Trl.Training;

namespace Trl.NashMd;

/// <summary>TRL's NashMDConfig: Online DPO's sampling and reward fields plus mixture_coef, the reference's weight in the
/// geometric mixture the opponent samples come from, with TRL's defaults (learning_rate 5e-7, max_new_tokens 64,
/// temperature 0.9, beta [0.1], mixture_coef [0.5]). Nash-MD has its own loss: no loss_type.</summary>
public record NashMdConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's Nash-MD defaults.</summary>
    public NashMdConfig()
    {
        LearningRate = 5e-7;
        LoggingSteps = 10;
    }

    /// <summary>Tokens sampled per completion.</summary>
    public int MaxNewTokens { get; init; } = 64;
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
    /// <summary>Subtracted from the score of a sample whose prompt + completion holds no EOS (null = none).</summary>
    public double? MissingEosPenalty { get; init; }
    /// <summary>β, one value or one per epoch.</summary>
    public IReadOnlyList<double> Beta { get; init; } = new[] { 0.1 };
    /// <summary>α, the reference's weight in the geometric mixture, one value or one per epoch.</summary>
    public IReadOnlyList<double> MixtureCoef { get; init; } = new[] { 0.5 };
    /// <summary>Weights of the reward functions (null = all 1).</summary>
    public IReadOnlyList<double>? RewardWeights { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Beta.Count == 0 || Beta.Any(b => !(b > 0))) throw new ArgumentException("beta must be one or more positive values.");
        if (MixtureCoef.Count == 0 || MixtureCoef.Any(a => a is < 0 or > 1 || double.IsNaN(a))) throw new ArgumentException("mixture_coef must be one or more values in [0, 1].");
        if (MaxNewTokens < 1) throw new ArgumentException("max_new_tokens must be at least 1.");
        if (Temperature <= 0) throw new ArgumentException("temperature must be positive.");
    }
}
