using Trl.Training;

namespace Trl.Orpo;

/// <summary>TRL's ORPOConfig with its defaults.</summary>
public record OrpoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's ORPO defaults (learning_rate 1e-6).</summary>
    public OrpoConfig()
    {
        LearningRate = 1e-6;
        LoggingSteps = 10;
    }

    /// <summary>λ: weight of the odds-ratio term.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>Longest prompt+answer.</summary>
    public int? MaxLength { get; init; } = 1024;
}
