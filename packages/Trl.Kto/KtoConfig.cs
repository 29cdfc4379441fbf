using Trl.Training;

namespace Trl.Kto;

/// <summary>TRL's KTOConfig: training arguments plus KTO's fields, with TRL's defaults.</summary>
public record KtoConfig : TrainingOptions
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
    /// <summary>Compute the reference log-probs (completion and KL completion) of every example once before training,
    /// with the reference model or, when none is given, the starting policy.</summary>
    public bool PrecomputeRefLogProbs { get; init; }
    /// <summary>Batch size of that precomputation (null = per_device_train_batch_size).</summary>
    public int? PrecomputeRefBatchSize { get; init; }
    /// <summary>Move the reference towards the policy every ref_model_sync_steps steps (TR-DPO style).</summary>
    public bool SyncRefModel { get; init; }
    /// <summary>α of the reference update θ_ref ← α·θ + (1 − α)·θ_ref.</summary>
    public double RefModelMixupAlpha { get; init; } = 0.6;
    /// <summary>Optimizer steps between reference updates.</summary>
    public int RefModelSyncSteps { get; init; } = 512;
    /// <summary>Always "sequential": the KL pairs assume dataset order (TRL raises otherwise).</summary>
    public string TrainSamplingStrategy { get; init; } = "sequential";

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (TrainSamplingStrategy != "sequential") throw new ArgumentException("KTO needs train_sampling_strategy sequential: its KL pairs are built from neighbouring rows.");
        if (SyncRefModel && PrecomputeRefLogProbs) throw new ArgumentException("sync_ref_model cannot be combined with precompute_ref_log_probs (the reference changes during training).");
        if (LossType is not ("kto" or "apo_zero_unpaired")) throw new ArgumentException($"loss_type must be kto or apo_zero_unpaired (got '{LossType}').");
        if (LossType == "kto" && PerDeviceTrainBatchSize < 2) throw new ArgumentException("KTO's KL estimate pairs each prompt with another row's completion: per_device_train_batch_size must be > 1.");
    }
}
