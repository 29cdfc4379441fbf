using Trl.Training;

namespace Trl.Dpo;

/// <summary>TRL's DPOConfig: training arguments plus DPO's fields, with TRL's defaults.</summary>
public record DpoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's DPO defaults (learning_rate 1e-6, logging_steps 10).</summary>
    public DpoConfig()
    {
        LearningRate = 1e-6;
        LoggingSteps = 10;
    }

    /// <summary>Temperature of the implicit reward.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>One or more loss types, summed with <see cref="LossWeights"/>.</summary>
    public IReadOnlyList<string> LossType { get; init; } = new[] { "sigmoid" };
    /// <summary>Weights of the loss types (all 1 when null).</summary>
    public IReadOnlyList<double>? LossWeights { get; init; }
    /// <summary>Label smoothing ε (robust, exo_pair, aot).</summary>
    public double LabelSmoothing { get; init; }
    /// <summary>LD-DPO: weight of completion tokens past the shorter completion's length.</summary>
    public double? LdAlpha { get; init; }
    /// <summary>reverse_kl, forward_kl, js_divergence or alpha_divergence.</summary>
    public string FDivergenceType { get; init; } = "reverse_kl";
    /// <summary>α of the alpha divergence.</summary>
    public double FAlphaDivergenceCoef { get; init; } = 0.5;
    /// <summary>WPO weighting of each pair.</summary>
    public bool UseWeighting { get; init; }
    /// <summary>τ of the discopop loss.</summary>
    public double DiscopopTau { get; init; } = 0.05;
    /// <summary>Longest prompt+completion; longer sequences are truncated.</summary>
    public int? MaxLength { get; init; } = 1024;
    /// <summary>keep_start or keep_end.</summary>
    public string TruncationMode { get; init; } = "keep_start";
    /// <summary>Compute the reference log-probs of the whole dataset once before training (with the reference model,
    /// or the starting policy when none is given) instead of a reference forward pass at every step.</summary>
    public bool PrecomputeRefLogProbs { get; init; }
    /// <summary>Batch size of that precomputation (null = per_device_train_batch_size).</summary>
    public int? PrecomputeRefBatchSize { get; init; }
    /// <summary>TR-DPO: move the reference towards the policy every ref_model_sync_steps steps.</summary>
    public bool SyncRefModel { get; init; }
    /// <summary>α of the reference update θ_ref ← α·θ + (1 − α)·θ_ref.</summary>
    public double RefModelMixupAlpha { get; init; } = 0.6;
    /// <summary>Optimizer steps between reference updates.</summary>
    public int RefModelSyncSteps { get; init; } = 512;
    /// <summary>Pad lengths to a multiple of this.</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary>The loss types TRL's DPOTrainer has.</summary>
    public static readonly IReadOnlyList<string> LossTypes = new[]
    {
        "sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot", "aot_unpaired",
        "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm",
    };

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (SyncRefModel && (RefModelMixupAlpha is < 0 or > 1)) throw new ArgumentException($"ref_model_mixup_alpha must be in [0, 1] (got {RefModelMixupAlpha}).");
        if (SyncRefModel && RefModelSyncSteps < 1) throw new ArgumentException($"ref_model_sync_steps must be ≥ 1 (got {RefModelSyncSteps}).");
        if (SyncRefModel && PrecomputeRefLogProbs) throw new ArgumentException("sync_ref_model cannot be combined with precompute_ref_log_probs (the reference changes during training).");
        foreach (var t in LossType)
            if (!LossTypes.Contains(t)) throw new ArgumentException($"loss_type '{t}' is not a DPO loss ({string.Join(", ", LossTypes)}).");
        if (LossWeights is not null && LossWeights.Count != LossType.Count)
            throw new ArgumentException($"loss_weights has {LossWeights.Count} values but loss_type has {LossType.Count}.");
        if (LossType.Contains("exo_pair") && LabelSmoothing <= 0) throw new ArgumentException("loss_type exo_pair needs label_smoothing > 0.");
        if (FDivergenceType is not ("reverse_kl" or "forward_kl" or "js_divergence" or "alpha_divergence"))
            throw new ArgumentException($"f_divergence_type '{FDivergenceType}' is not supported.");
        if (UseWeighting && LossType.Any(t => t.StartsWith("aot", StringComparison.Ordinal))) throw new ArgumentException("use_weighting cannot be combined with aot losses.");
        if (TruncationMode is not ("keep_start" or "keep_end")) throw new ArgumentException($"truncation_mode must be keep_start or keep_end (got '{TruncationMode}').");
    }
}
