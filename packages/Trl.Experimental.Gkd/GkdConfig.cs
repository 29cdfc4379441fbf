using Trl.Training;

namespace Trl.Gkd;

/// <summary>TRL's GKDConfig (an SFTConfig with GKD's fields): with probability lmbda a batch is replaced by the student's
/// own generations; the loss is the generalized JSD (β) to the teacher. TRL's defaults: learning_rate 2e-5,
/// temperature 0.9 (generation only), lmbda 0.5, beta 0.5, max_new_tokens 128, max_length 1024.</summary>
public record GkdConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's GKD defaults.</summary>
    public GkdConfig()
    {
        LearningRate = 2e-5;
        LoggingSteps = 10;
    }

    /// <summary>Sampling temperature of on-policy (and seq_kd) generations; the loss uses temperature 1.</summary>
    public double Temperature { get; init; } = 0.9;
    /// <summary>Probability that a micro-batch is replaced by student generations (on-policy distillation).</summary>
    public double Lmbda { get; init; } = 0.5;
    /// <summary>β of the generalized JSD: 0 = KL(teacher‖student), 1 = KL(student‖teacher).</summary>
    public double Beta { get; init; } = 0.5;
    /// <summary>Tokens generated per on-policy completion.</summary>
    public int MaxNewTokens { get; init; } = 128;
    /// <summary>When the on-policy draw fails, train on teacher generations (sequence-level KD).</summary>
    public bool SeqKd { get; init; }
    /// <summary>Longest tokenized example; longer ones keep their last tokens.</summary>
    public int? MaxLength { get; init; } = 1024;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Lmbda is < 0 or > 1 || double.IsNaN(Lmbda)) throw new ArgumentException($"lmbda must be in [0, 1] (got {Lmbda}).");
        if (Beta is < 0 or > 1 || double.IsNaN(Beta)) throw new ArgumentException($"beta must be in [0, 1] (got {Beta}).");
        if (MaxNewTokens < 1) throw new ArgumentException("max_new_tokens must be at least 1.");
        if (Temperature <= 0) throw new ArgumentException("temperature must be positive.");
    }
}
