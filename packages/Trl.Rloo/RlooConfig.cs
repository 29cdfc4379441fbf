using Trl.Training;

namespace Trl.Rloo;

/// <summary>TRL's RLOOConfig: training arguments plus RLOO's generation, reward and loss fields, with TRL's defaults
/// (learning_rate 1e-6, num_generations 2, beta 0.05, epsilon 0.2).</summary>
public record RlooConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's RLOO defaults.</summary>
    public RlooConfig()
    {
        LearningRate = 1e-6;
        LoggingSteps = 10;
    }

    /// <summary>Completions sampled per prompt (G ≥ 2: the baseline of one is the mean of the others).</summary>
    public int NumGenerations { get; init; } = 2;
    /// <summary>Completions per prompt during evaluation (null = num_generations).</summary>
    public int? NumGenerationsEval { get; init; }
    /// <summary>Longest completion in tokens.</summary>
    public int MaxCompletionLength { get; init; } = 512;
    /// <summary>Completions generated at once (a multiple of per_device_train_batch_size and of num_generations);
    /// null = per_device_train_batch_size × steps_per_generation.</summary>
    public int? GenerationBatchSize { get; init; }
    /// <summary>Optimisation micro-steps fed by one generation; null = gradient_accumulation_steps.</summary>
    public int? StepsPerGeneration { get; init; }
    /// <summary>μ: how many times each generation batch is optimised on.</summary>
    public int NumIterations { get; init; } = 1;
    /// <summary>Shuffle the prompts (RepeatSampler with the seed).</summary>
    public bool ShuffleDataset { get; init; } = true;
    /// <summary>Sampling temperature (also divides the logits when log-probs are computed).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Nucleus sampling mass.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Top-k sampling (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Min-p sampling (null = off).</summary>
    public double? MinP { get; init; }
    /// <summary>Repetition penalty (1 = off).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Pad completions to a multiple of this.</summary>
    public int? PadToMultipleOf { get; init; }
    /// <summary>Zero the loss mask of completions that did not end with EOS.</summary>
    public bool MaskTruncatedCompletions { get; init; }

    /// <summary>β of the k1 KL folded into the reward (0 = no reference model).</summary>
    public double Beta { get; init; } = 0.05;
    /// <summary>Lower clip ε of the sequence ratio.</summary>
    public double Epsilon { get; init; } = 0.2;
    /// <summary>Upper clip ε (null = epsilon).</summary>
    public double? EpsilonHigh { get; init; }
    /// <summary>Weights of the reward functions (null = all 1).</summary>
    public IReadOnlyList<double>? RewardWeights { get; init; }
    /// <summary>Whiten the advantages over the generation batch.</summary>
    public bool NormalizeAdvantages { get; init; }
    /// <summary>[min, max] clamp of the summed reward, before the KL term (null = none).</summary>
    public IReadOnlyList<double>? RewardClipRange { get; init; }
    /// <summary>TR-DPO: move the reference towards the policy every ref_model_sync_steps steps.</summary>
    public bool SyncRefModel { get; init; }
    /// <summary>α of the reference update θ_ref ← α·θ + (1 − α)·θ_ref.</summary>
    public double RefModelMixupAlpha { get; init; } = 0.6;
    /// <summary>Optimizer steps between reference updates.</summary>
    public int RefModelSyncSteps { get; init; } = 512;
    /// <summary>Print this many sample completions at each generation (0 = none).</summary>
    public int NumCompletionsToPrint { get; init; }
    /// <summary>Write the sampled completions to output_dir/completions.jsonl.</summary>
    public bool LogCompletions { get; init; }

    /// <summary>The effective upper clip.</summary>
    public double EffectiveEpsilonHigh => EpsilonHigh ?? Epsilon;
    /// <summary>Micro-steps per generation after resolving TRL's batch geometry.</summary>
    public int EffectiveStepsPerGeneration => StepsPerGeneration ?? (GenerationBatchSize is int g ? g / PerDeviceTrainBatchSize : GradientAccumulationSteps);
    /// <summary>Completions per generation after resolving TRL's batch geometry.</summary>
    public int EffectiveGenerationBatchSize => GenerationBatchSize ?? PerDeviceTrainBatchSize * EffectiveStepsPerGeneration;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (NumGenerations < 2) throw new ArgumentException($"RLOO needs at least 2 generations per prompt for its leave-one-out baseline (num_generations={NumGenerations}).");
        if (NumGenerationsEval is < 1) throw new ArgumentException($"num_generations_eval must be at least 1 (got {NumGenerationsEval}).");
        if (GenerationBatchSize is not null && StepsPerGeneration is not null)
            throw new ArgumentException("generation_batch_size and steps_per_generation cannot both be set.");
        if (GenerationBatchSize is int gbs && gbs % PerDeviceTrainBatchSize != 0)
            throw new ArgumentException($"generation_batch_size ({gbs}) must be divisible by per_device_train_batch_size ({PerDeviceTrainBatchSize}).");
        if (EffectiveGenerationBatchSize % NumGenerations != 0)
            throw new ArgumentException($"generation_batch_size ({EffectiveGenerationBatchSize}) must be divisible by num_generations ({NumGenerations}).");
        if (NumIterations < 1) throw new ArgumentException("num_iterations must be at least 1.");
        if (MaxCompletionLength < 1) throw new ArgumentException("max_completion_length must be at least 1.");
        if (Temperature <= 0) throw new ArgumentException("temperature must be positive.");
        if (RewardClipRange is { } r && (r.Count != 2 || r[0] > r[1])) throw new ArgumentException("reward_clip_range must be [min, max] with min ≤ max.");
        if (SyncRefModel && Beta == 0.0) throw new ArgumentException("sync_ref_model needs beta != 0 (without the KL term there is no reference model).");
        if (SyncRefModel && (RefModelMixupAlpha is < 0 or > 1)) throw new ArgumentException($"ref_model_mixup_alpha must be in [0, 1] (got {RefModelMixupAlpha}).");
    }
}
