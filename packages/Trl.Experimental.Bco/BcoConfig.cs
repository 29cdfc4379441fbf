using Trl.Training;

namespace Trl.Bco;

/// <summary>TRL's BCOConfig with its defaults. The UDM density-ratio option (embedding_func + a logistic-regression
/// classifier) is not available here.</summary>
public record BcoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's BCO defaults (learning_rate 5e-7).</summary>
    public BcoConfig()
    {
        LearningRate = 5e-7;
        LoggingSteps = 10;
    }

    /// <summary>Temperature of the implicit reward.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>Longest prompt+completion (answers are cut to fit).</summary>
    public int? MaxLength { get; init; } = 1024;
}
