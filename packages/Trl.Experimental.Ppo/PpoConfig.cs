using Trl.Training;

namespace Trl.Ppo;

/// <summary>TRL's PPOConfig (as of TRL f2cd577, trl/experimental/ppo) with its defaults: learning_rate 3e-6,
/// response_length 53, temperature 0.7, num_ppo_epochs 4, kl_coef 0.05, cliprange 0.2, vf_coef 0.1, cliprange_value
/// 0.2, gamma 1, lam 0.95. One rollout batch is per_device_train_batch_size × gradient_accumulation_steps prompts; each
/// of the num_ppo_epochs passes over it is one optimizer step (TRL's accumulation boundary), and the learning-rate
/// schedule advances once per rollout. Gradients are never clipped (max_grad_norm is ignored, as in TRL).</summary>
public record PpoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's PPO defaults.</summary>
    public PpoConfig()
    {
        LearningRate = 3e-6;
        LoggingSteps = 10;
    }

    /// <summary>Tokens sampled per response (generation does not stop at EOS; stop_token truncates afterwards).</summary>
    public int ResponseLength { get; init; } = 53;
    /// <summary>"eos": truncate responses after the first EOS (null = no truncation).</summary>
    public string? StopToken { get; init; }
    /// <summary>Truncate responses after this id (exclusive with stop_token).</summary>
    public long? StopTokenId { get; init; }
    /// <summary>Sampling temperature; logits are divided by temperature + 1e-7.</summary>
    public double Temperature { get; init; } = 0.7;
    /// <summary>Subtracted from the score of a response without EOS after truncation (null = none).</summary>
    public double? MissingEosPenalty { get; init; }
    /// <summary>Optimisation passes over each rollout batch.</summary>
    public int NumPpoEpochs { get; init; } = 4;
    /// <summary>Mini-batches per pass (must divide the rollout batch; TRL's accumulation boundary makes it not change the math).</summary>
    public int NumMiniBatches { get; init; } = 1;
    /// <summary>Whiten the per-token rewards (no mean shift) before GAE.</summary>
    public bool WhitenRewards { get; init; }
    /// <summary>KL penalty coefficient per token.</summary>
    public double KlCoef { get; init; } = 0.05;
    /// <summary>k1 (log-ratio) or k3 ((r − 1) − log r).</summary>
    public string KlEstimator { get; init; } = "k1";
    /// <summary>Policy ratio clip.</summary>
    public double Cliprange { get; init; } = 0.2;
    /// <summary>Value loss coefficient.</summary>
    public double VfCoef { get; init; } = 0.1;
    /// <summary>Value clip around the rollout values.</summary>
    public double CliprangeValue { get; init; } = 0.2;
    /// <summary>Discount.</summary>
    public double Gamma { get; init; } = 1.0;
    /// <summary>GAE λ.</summary>
    public double Lam { get; init; } = 0.95;
    /// <summary>Prompts to train on in all (null = num_train_epochs × dataset size); when set and max_steps is not,
    /// the run makes ceil(total_episodes / rollout batch) rollouts of num_ppo_epochs steps each.</summary>
    public int? TotalEpisodes { get; init; }
    /// <summary>Weights of the reward functions (null = all 1).</summary>
    public IReadOnlyList<double>? RewardWeights { get; init; }

    /// <summary>Prompts per rollout (TRL's local_batch_size).</summary>
    public int RolloutBatchSize => PerDeviceTrainBatchSize * GradientAccumulationSteps;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (StopToken is not null && StopTokenId is not null) throw new ArgumentException("stop_token and stop_token_id cannot both be set.");
        if (StopToken is not (null or "eos")) throw new ArgumentException($"stop_token must be eos (got '{StopToken}').");
        if (KlEstimator is not ("k1" or "k3")) throw new ArgumentException($"kl_estimator must be k1 or k3 (got '{KlEstimator}').");
        if (ResponseLength < 1) throw new ArgumentException("response_length must be at least 1.");
        if (NumPpoEpochs < 1) throw new ArgumentException("num_ppo_epochs must be at least 1.");
        if (NumMiniBatches < 1 || RolloutBatchSize % NumMiniBatches != 0)
            throw new ArgumentException($"num_mini_batches ({NumMiniBatches}) must divide the rollout batch (per_device_train_batch_size × gradient_accumulation_steps = {RolloutBatchSize}).");
        if (Temperature <= 0) throw new ArgumentException("temperature must be positive.");
        if (TotalEpisodes is < 1) throw new ArgumentException($"total_episodes must be at least 1 (got {TotalEpisodes}).");
    }
}
