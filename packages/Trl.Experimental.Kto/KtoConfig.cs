using Trl.Training;

namespace Trl.Kto;

/// <summary>TRL's KTOConfig: training arguments plus KTO's fields, with TRL's defaults.</summary>
public sealed record KtoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's KTO defaults (learning_rate 1e-6, logging_steps 10).</summary>
    public KtoConfig()
    {
        LearningRate = 1e-6;
        LoggingSteps = 10;
    }

    /// <summary>Temperature of the implicit reward.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>kto or apo_zero_unpaired.</summary>
    public string LossType { get; init; } = "kto";
    /// <summary>Weight of desirable examples' losses.</summary>
    public double DesirableWeight { get; init; } = 1.0;
    /// <summary>Weight of undesirable examples' losses.</summary>
    public double UndesirableWeight { get; init; } = 1.0;
    /// <summary>Longest prompt+completion (keep start); rows whose prompt alone reaches it are dropped.</summary>
    public int? MaxLength { get; init; } = 1024;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (LossType is not ("kto" or "apo_zero_unpaired")) throw new ArgumentException($"loss_type must be kto or apo_zero_unpaired (got '{LossType}').");
        if (LossType == "kto" && PerDeviceTrainBatchSize < 2) throw new ArgumentException("KTO's KL estimate pairs each prompt with another row's completion: per_device_train_batch_size must be > 1.");
    }
}
