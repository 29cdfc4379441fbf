using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Reward;

/// <summary>Reward modelling (TRL's RewardTrainer): score chosen and rejected sequences with a one-output
/// sequence classifier and minimise −log σ(r_c − r_r − margin) (+ optional centering). Logs accuracy, margin,
/// min/mean/max_reward and num_tokens.</summary>
public class RewardTrainer : Trainer<RewardExample>
{
    readonly SequenceClassifier _model;
    readonly RewardConfig _config;
    readonly RewardCollator _collator;
    readonly long _padTokenId;

    /// <summary>Creates a trainer; the model must have one output (num_labels = 1).</summary>
    public RewardTrainer(SequenceClassifier model, RewardConfig config, IReadOnlyList<RewardExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        if (model.Config.NumLabels != 1) throw new ArgumentException($"A reward model needs num_labels = 1, got {model.Config.NumLabels}.", nameof(model));
        _model = model;
        _config = config;
        _padTokenId = padTokenId;
        _collator = new RewardCollator(padTokenId, config.PadToMultipleOf) { Device = Device };
    }

    /// <summary>The collator ([chosen; rejected] rows).</summary>
    public RewardCollator Collator => _collator;

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<RewardExample> microBatch) => microBatch.Sum(p => (long)p.ChosenIds.Count + p.RejectedIds.Count);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<RewardExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = _collator.Collate(microBatch);
        var rewards = _model.Forward(batch.InputIds, batch.AttentionMask, _padTokenId).squeeze(-1);
        long b = batch.Pairs;
        var rc = rewards.narrow(0, 0, b);
        var rr = rewards.narrow(0, b, b);
        var loss = RewardLoss.Compute(rc, rr, batch.Margins, _config.CenterRewardsCoefficient);
        var r = rewards.detach();
        var metrics = new Dictionary<string, Tensor>
        {
            ["min_reward"] = r.min(),
            ["mean_reward"] = r.mean(),
            ["max_reward"] = r.max(),
            ["accuracy"] = rc.detach().gt(rr.detach()).to_type(ScalarType.Float32).mean(),
            ["margin"] = (rc - rr).detach().mean(),
        };
        return new LossOutput(loss / context.GradientAccumulationSteps, metrics);
    }
}
