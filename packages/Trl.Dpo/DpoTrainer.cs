using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Dpo;

/// <summary>Direct Preference Optimization (TRL's DPOTrainer): chosen and rejected sequences in one forward pass,
/// sequence log-probs against a frozen reference model, one or several weighted DPO losses, and TRL's metrics
/// (rewards/*, logps/*, logits/*, entropy, mean_token_accuracy, num_tokens).</summary>
public class DpoTrainer : Trainer<PreferenceExample>
{
    readonly CausalLM _policy;
    readonly ReferenceModel? _reference;
    readonly Dictionary<PreferenceExample, float[]>? _precomputed;
    readonly DpoConfig _config;
    readonly DpoCollator _collator;

    /// <summary>Creates a trainer. <paramref name="referenceModel"/> is a separately loaded copy of the initial
    /// weights; it is frozen and never updated. With precompute_ref_log_probs it may be null: the reference log-probs
    /// of every pair are then computed here, once, from the starting policy.</summary>
    public DpoTrainer(CausalLM model, CausalLM? referenceModel, DpoConfig config, IReadOnlyList<PreferenceExample> trainDataset,
        long padTokenId, ILogger? logger = null) : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _collator = new DpoCollator(padTokenId, config.MaxLength, config.TruncationMode == "keep_end", config.PadToMultipleOf) { Device = Device };
        _reference = ReferenceModel.Resolve(model, referenceModel);
        if (config.PrecomputeRefLogProbs)
            _precomputed = ReferenceModel.Precompute(_reference?.Model ?? _policy, trainDataset, config.PrecomputeRefBatchSize ?? config.PerDeviceTrainBatchSize, PrecomputeBatch);
        else if (_reference is null) throw new ArgumentNullException(nameof(referenceModel), "DPO needs a reference model unless precompute_ref_log_probs is set.");
        if (config.SyncRefModel)
            Callbacks.Add((_reference ?? throw new ArgumentNullException(nameof(referenceModel), "sync_ref_model needs a reference model."))
                .SyncWith(model, config.RefModelMixupAlpha, config.RefModelSyncSteps));
    }

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;

    /// <summary>The frozen reference (null when its log-probs were precomputed).</summary>
    protected ReferenceModel? Reference => _reference;

    /// <summary>The configuration.</summary>
    protected DpoConfig Config => _config;

    /// <summary>The collator that turns pairs into [chosen; rejected] batches.</summary>
    public DpoCollator Collator => _collator;

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<PreferenceExample> microBatch) => _collator.CountTokens(microBatch);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PreferenceExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = _collator.Collate(microBatch);
        long pairs = batch.Pairs;
        var (labels, mask) = Targets(batch);
        var policy = TokenLogps(_policy, batch, new LmHeadLogProbsOptions { Entropy = true, Statistics = true, SquaredMass = _config.UseWeighting });
        var tokenLogps = policy.Logps;
        var weights = LengthWeights(mask, pairs);
        var logps = (tokenLogps * weights).sum(1);
        var refLogps = _precomputed is null
            ? _reference!.Score(m => SequenceLogps(m, batch, mask, weights))
            : tensor(microBatch.Select(e => _precomputed[e][0]).Concat(microBatch.Select(e => _precomputed[e][1])).ToArray(), device: logps.device);
        var lengths = mask.sum(1);
        var chosenMask = mask.narrow(0, 0, pairs);
        var sft = -(tokenLogps.narrow(0, 0, pairs).sum()) / chosenMask.sum().clamp_min(1);
        var inputs = new DpoLoss.Inputs(logps.narrow(0, 0, pairs), logps.narrow(0, pairs, pairs),
            refLogps.narrow(0, 0, pairs), refLogps.narrow(0, pairs, pairs), lengths.narrow(0, 0, pairs), lengths.narrow(0, pairs, pairs), sft);

        var pairWeight = _config.UseWeighting ? WpoWeights(policy, mask, pairs) : null;
        Tensor? loss = null;
        for (int k = 0; k < _config.LossType.Count; k++)
        {
            var perPair = DpoLoss.PerPair(_config.LossType[k], inputs, _config);
            if (pairWeight is not null) perPair = perPair * pairWeight;
            var term = perPair.mean() * (_config.LossWeights?[k] ?? 1.0);
            loss = loss is null ? term : loss + term;
        }
        return new LossOutput(loss! / context.GradientAccumulationSteps, Metrics(inputs, policy, labels, mask, pairs));
    }

    /// <summary>Next-token targets [2·pairs, T−1] and the completion mask over them.</summary>
    static (Tensor Labels, Tensor Mask) Targets(DpoBatch batch)
    {
        var labels = batch.InputIds.narrow(1, 1, batch.InputIds.shape[1] - 1);
        return (labels, batch.CompletionMask.narrow(1, 1, labels.shape[1]).to_type(ScalarType.Float32));
    }

    /// <summary>Per-token log-probs [2·pairs, T−1] of the completion targets (zero elsewhere); only completion
    /// positions are projected onto the vocabulary.</summary>
    protected static TokenLogProbs TokenLogps(CausalLM model, DpoBatch batch, LmHeadLogProbsOptions? options = null)
    {
        var hidden = model.Decoder.Forward(batch.InputIds, batch.AttentionMask);
        return model.NextTokenLogProbs(hidden, batch.InputIds, batch.TargetIndex, options);
    }

    /// <summary>Weighted sequence log-probs [2·pairs] of a batch under <paramref name="model"/>.</summary>
    protected static Tensor SequenceLogps(CausalLM model, DpoBatch batch, Tensor mask, Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        return (TokenLogps(model, batch).Logps * mask * weights).sum(1);
    }

    /// <summary>Reference log-probs [B, 2] (chosen, rejected) of a chunk of pairs, for precompute_ref_log_probs.</summary>
    Tensor PrecomputeBatch(IReadOnlyList<PreferenceExample> chunk)
    {
        using var batch = _collator.Collate(chunk);
        var (_, mask) = Targets(batch);
        var weights = LengthWeights(mask, batch.Pairs);
        var logps = _reference is not null ? _reference.Score(m => SequenceLogps(m, batch, mask, weights)) : SequenceLogps(_policy, batch, mask, weights);
        return stack(new[] { logps.narrow(0, 0, chunk.Count), logps.narrow(0, chunk.Count, chunk.Count) }, 1);
    }

    /// <summary>LD-DPO: completion tokens past the shorter completion of the pair count with weight ld_alpha.</summary>
    Tensor LengthWeights(Tensor mask, long pairs)
    {
        if (_config.LdAlpha is not double alpha) return ones_like(mask);
        var position = mask.cumsum(1);                                   // 1-based index within the completion
        var lengths = mask.sum(1);
        var shorter = minimum(lengths.narrow(0, 0, pairs), lengths.narrow(0, pairs, pairs)).repeat(2).unsqueeze(1);
        return where(position.le(shorter), ones_like(mask), full_like(mask, alpha));
    }

    /// <summary>WPO: w = exp(mean over completion of [log p(y) − log Σ_v p_v²]) per sequence, without gradient;
    /// a pair's weight is w_chosen · w_rejected.</summary>
    static Tensor WpoWeights(TokenLogProbs policy, Tensor mask, long pairs)
    {
        using var noGrad = no_grad();
        var w = (((policy.Logps.detach() - policy.LogSquaredMass!) * mask).sum(1) / mask.sum(1).clamp_min(1)).exp();
        return w.narrow(0, 0, pairs) * w.narrow(0, pairs, pairs);
    }

    Dictionary<string, Tensor> Metrics(DpoLoss.Inputs x, TokenLogProbs policy, Tensor labels, Tensor mask, long pairs)
    {
        using var noGrad = no_grad();
        var rc = _config.Beta * (x.ChosenLogps - x.RefChosenLogps).detach();
        var rr = _config.Beta * (x.RejectedLogps - x.RefRejectedLogps).detach();
        var chosenMask = mask.narrow(0, 0, pairs);
        var rejectedMask = mask.narrow(0, pairs, pairs);
        var meanLogit = policy.MeanLogit!;
        var correct = policy.Argmax!.narrow(0, 0, pairs).eq(labels.narrow(0, 0, pairs)).to_type(ScalarType.Float32);
        return new Dictionary<string, Tensor>
        {
            ["entropy"] = (policy.Entropy!.detach() * mask).sum() / mask.sum(),
            ["logits/chosen"] = (meanLogit.narrow(0, 0, pairs) * chosenMask).sum() / chosenMask.sum(),
            ["logits/rejected"] = (meanLogit.narrow(0, pairs, pairs) * rejectedMask).sum() / rejectedMask.sum(),
            ["mean_token_accuracy"] = (correct * chosenMask).sum() / chosenMask.sum(),
            ["rewards/chosen"] = rc.mean(),
            ["rewards/rejected"] = rr.mean(),
            ["rewards/accuracies"] = rc.gt(rr).to_type(ScalarType.Float32).mean(),
            ["rewards/margins"] = (rc - rr).mean(),
            ["logps/chosen"] = x.ChosenLogps.detach().mean(),
            ["logps/rejected"] = x.RejectedLogps.detach().mean(),
        };
    }
}
