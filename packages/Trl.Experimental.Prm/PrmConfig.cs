using Trl.Training;

namespace Trl.Prm;

/// <summary>TRL's PRMConfig with its defaults.</summary>
public record PrmConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's PRM defaults (learning_rate 1e-5).</summary>
    public PrmConfig()
    {
        LearningRate = 1e-5;
        LoggingSteps = 10;
    }

    /// <summary>Longest prompt+completion.</summary>
    public int? MaxLength { get; init; } = 1024;
    /// <summary>Longest completion (all steps together).</summary>
    public int? MaxCompletionLength { get; init; }
    /// <summary>Text appended to each step; its last token carries the step's label.</summary>
    public string StepSeparator { get; init; } = "\n";
    /// <summary>Label only the last step.</summary>
    public bool TrainOnLastStepOnly { get; init; }
}
