using Trl.Training;

namespace Trl.Grpo;

/// <summary>TRL's GRPOConfig: training arguments plus GRPO's generation, reward and loss fields, with TRL's defaults
/// (learning_rate 1e-6, loss_type dapo, beta 0, epsilon 0.2, num_generations 8).</summary>
public record GrpoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's GRPO defaults.</summary>
    public GrpoConfig()
    {
        LearningRate = 1e-6;
        LoggingSteps = 10;
    }

    /// <summary>Completions sampled per prompt (G ≥ 2).</summary>
    public int NumGenerations { get; init; } = 8;
    /// <summary>Longest completion in tokens.</summary>
    public int MaxCompletionLength { get; init; } = 512;
    /// <summary>Longest prompt in tokens; longer prompts keep their last tokens (null = no limit).</summary>
    public int? MaxPromptLength { get; init; }
    /// <summary>Completions generated at once (a multiple of per_device_train_batch_size and of num_generations);
    /// null = per_device_train_batch_size × steps_per_generation.</summary>
    public int? GenerationBatchSize { get; init; }
    /// <summary>Optimisation micro-steps fed by one generation; null = gradient_accumulation_steps.</summary>
    public int? StepsPerGeneration { get; init; }
    /// <summary>Completions per prompt during evaluation (null = num_generations).</summary>
    public int? NumGenerationsEval { get; init; }
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

    /// <summary>KL coefficient against the reference model (0 = no reference model).</summary>
    public double Beta { get; init; }
    /// <summary>TR-DPO: move the reference towards the policy every ref_model_sync_steps steps.</summary>
    public bool SyncRefModel { get; init; }
    /// <summary>α of the reference update θ_ref ← α·θ + (1 − α)·θ_ref.</summary>
    public double RefModelMixupAlpha { get; init; } = 0.6;
    /// <summary>Optimizer steps between reference updates.</summary>
    public int RefModelSyncSteps { get; init; } = 512;
    /// <summary>Lower clip ε.</summary>
    public double Epsilon { get; init; } = 0.2;
    /// <summary>Upper clip ε (null = epsilon); for cispo the ratio cap.</summary>
    public double? EpsilonHigh { get; init; }
    /// <summary>Two-sided clipping: the unclipped ratio is capped at δ (null = off).</summary>
    public double? Delta { get; init; }
    /// <summary>token or sequence (GSPO) importance sampling.</summary>
    public string ImportanceSamplingLevel { get; init; } = "token";
    /// <summary>grpo, bnpo, dr_grpo, dapo, luspo, cispo, sapo or vespo.</summary>
    public string LossType { get; init; } = "dapo";
    /// <summary>group, batch or none.</summary>
    public string ScaleRewards { get; init; } = "group";
    /// <summary>Weights of the reward functions (null = all 1).</summary>
    public IReadOnlyList<double>? RewardWeights { get; init; }
    /// <summary>sum_then_normalize or normalize_then_sum (GDPO).</summary>
    public string MultiObjectiveAggregation { get; init; } = "sum_then_normalize";
    /// <summary>SAPO temperature for positive advantages.</summary>
    public double SapoTemperaturePos { get; init; } = 1.0;
    /// <summary>SAPO temperature for negative advantages.</summary>
    public double SapoTemperatureNeg { get; init; } = 1.05;
    /// <summary>VESPO k for non-negative advantages.</summary>
    public double VespoKPos { get; init; } = 2.0;
    /// <summary>VESPO λ for non-negative advantages.</summary>
    public double VespoLambdaPos { get; init; } = 3.0;
    /// <summary>VESPO k for negative advantages.</summary>
    public double VespoKNeg { get; init; } = 3.0;
    /// <summary>VESPO λ for negative advantages.</summary>
    public double VespoLambdaNeg { get; init; } = 2.0;
    /// <summary>Train only on the top ρ fraction of tokens by entropy (1 = all).</summary>
    public double TopEntropyQuantile { get; init; } = 1.0;
    /// <summary>Off-policy sequence masking threshold (DeepSeek-V3.2; null = off).</summary>
    public double? OffPolicyMaskThreshold { get; init; }
    /// <summary>Multiply the KL term by the importance ratio.</summary>
    public bool UseBiasCorrectionKl { get; init; }
    /// <summary>Entropy bonus coefficient.</summary>
    public double EntropyCoef { get; init; }
    /// <summary>Adapt the entropy coefficient towards <see cref="EntropyTarget"/>.</summary>
    public bool UseAdaptiveEntropy { get; init; }
    /// <summary>Smallest adaptive coefficient.</summary>
    public double EntropyCoefMin { get; init; }
    /// <summary>Largest adaptive coefficient.</summary>
    public double EntropyCoefMax { get; init; } = 1.0;
    /// <summary>Adaptive step of the coefficient.</summary>
    public double EntropyCoefDelta { get; init; } = 0.005;
    /// <summary>Entropy the adaptive controller holds.</summary>
    public double EntropyTarget { get; init; } = 0.2;
    /// <summary>Print this many sample completions at each logging step (0 = none).</summary>
    public int NumCompletionsToPrint { get; init; }
    /// <summary>Write the sampled completions of each logging step to output_dir/completions.jsonl.</summary>
    public bool LogCompletions { get; init; }

    /// <summary>The loss types TRL's GRPOTrainer has.</summary>
    public static readonly IReadOnlyList<string> LossTypes = new[] { "grpo", "bnpo", "dr_grpo", "dapo", "luspo", "cispo", "sapo", "vespo" };

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
        if (SyncRefModel && (RefModelMixupAlpha is < 0 or > 1)) throw new ArgumentException($"ref_model_mixup_alpha must be in [0, 1] (got {RefModelMixupAlpha}).");
        if (SyncRefModel && RefModelSyncSteps < 1) throw new ArgumentException($"ref_model_sync_steps must be ≥ 1 (got {RefModelSyncSteps}).");
        if (SyncRefModel && Beta == 0.0) throw new ArgumentException("sync_ref_model needs beta != 0 (without the KL term there is no reference model).");
        if (!LossTypes.Contains(LossType)) throw new ArgumentException($"loss_type '{LossType}' is not a GRPO loss ({string.Join(", ", LossTypes)}).");
        if (NumGenerations < 2) throw new ArgumentException($"GRPO needs at least 2 generations per prompt to compute advantages (num_generations={NumGenerations}).");
        if (GenerationBatchSize is not null && StepsPerGeneration is not null)
            throw new ArgumentException("generation_batch_size and steps_per_generation cannot both be set.");
        if (GenerationBatchSize is int gbs && gbs % PerDeviceTrainBatchSize != 0)
            throw new ArgumentException($"generation_batch_size ({gbs}) must be divisible by per_device_train_batch_size ({PerDeviceTrainBatchSize}).");
        if (EffectiveGenerationBatchSize % NumGenerations != 0)
            throw new ArgumentException($"generation_batch_size ({EffectiveGenerationBatchSize}) must be divisible by num_generations ({NumGenerations}).");
        if (NumGenerationsEval is < 2) throw new ArgumentException($"num_generations_eval must be at least 2 (got {NumGenerationsEval}).");
        if (NumIterations < 1) throw new ArgumentException("num_iterations must be at least 1.");
        if (MaxCompletionLength < 1) throw new ArgumentException("max_completion_length must be at least 1.");
        if (ImportanceSamplingLevel is not ("token" or "sequence")) throw new ArgumentException($"importance_sampling_level must be token or sequence (got '{ImportanceSamplingLevel}').");
        if (ScaleRewards is not ("group" or "batch" or "none")) throw new ArgumentException($"scale_rewards must be group, batch or none (got '{ScaleRewards}').");
        if (MultiObjectiveAggregation is not ("sum_then_normalize" or "normalize_then_sum"))
            throw new ArgumentException($"multi_objective_aggregation must be sum_then_normalize or normalize_then_sum (got '{MultiObjectiveAggregation}').");
        if (TopEntropyQuantile is <= 0 or > 1) throw new ArgumentException("top_entropy_quantile must be in (0, 1].");
        if (Temperature <= 0) throw new ArgumentException("temperature must be positive.");
    }
}
