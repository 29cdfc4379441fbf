using Microsoft.Extensions.Logging;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Kto;

/// <summary>Kahneman–Tversky Optimization (TRL's KTOTrainer): desirable completions are pushed above, undesirable
/// ones below, a reference point z estimated from mismatched prompt/completion pairs.</summary>
public class KtoTrainer : Trainer<KtoExample>
{
    readonly CausalLM _policy;
    readonly ReferenceModel? _reference;
    readonly KtoConfig _config;
    readonly KtoCollator _collator;
    readonly Dictionary<KtoExample, float[]>? _precomputed;

    /// <summary>Creates a trainer; <paramref name="referenceModel"/> is a frozen copy of the starting weights (it may
    /// be null with precompute_ref_log_probs: the starting policy then scores every example once, here).</summary>
    public KtoTrainer(CausalLM model, CausalLM? referenceModel, KtoConfig config, IReadOnlyList<KtoExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _collator = new KtoCollator(padTokenId, config.MaxLength) { Device = Device };
        _reference = ReferenceModel.Resolve(model, referenceModel);
        if (config.PrecomputeRefLogProbs)
            _precomputed = ReferenceModel.Precompute(_reference?.Model ?? _policy, trainDataset, config.PrecomputeRefBatchSize ?? config.PerDeviceTrainBatchSize, PrecomputeBatch);
        else if (_reference is null) throw new ArgumentNullException(nameof(referenceModel), "KTO needs a reference model unless precompute_ref_log_probs is set.");
        if (config.SyncRefModel)
            Callbacks.Add((_reference ?? throw new ArgumentNullException(nameof(referenceModel), "sync_ref_model needs a reference model."))
                .SyncWith(model, config.RefModelMixupAlpha, config.RefModelSyncSteps));
    }

    /// <summary>The collator (completions and KL completions).</summary>
    public KtoCollator Collator => _collator;

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;

    /// <summary>The frozen reference (null when its log-probs were precomputed).</summary>
    protected ReferenceModel? Reference => _reference;

    /// <summary>The configuration.</summary>
    protected KtoConfig Config => _config;

    /// <inheritdoc />
    protected override bool SequentialSampling => true;

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<KtoExample> microBatch) => _collator.CountTokens(microBatch);

    /// <summary>Reference log-probs [B, 2] (completion, KL completion) of a chunk, for precompute_ref_log_probs.</summary>
    Tensor PrecomputeBatch(IReadOnlyList<KtoExample> chunk)
    {
        using var completions = _collator.Collate(chunk, kl: false);
        using var kl = _collator.Collate(chunk, kl: true);
        Tensor Both(CausalLM model) => stack(new[] { SequenceLogps(model, completions, null, out _), SequenceLogps(model, kl, null, out _) }, 1);
        return _reference is not null ? _reference.Score(Both) : Both(_policy);
    }

    /// <summary>Summed completion log-probs [B] of a collated batch; <paramref name="options"/> adds the statistics the
    /// metrics need (returned in <paramref name="tokens"/>).</summary>
    protected static Tensor SequenceLogps(CausalLM model, KtoBatch batch, LmHeadLogProbsOptions? options, out TokenLogProbs tokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var hidden = model.Decoder.Forward(batch.InputIds, batch.AttentionMask);
        tokens = model.NextTokenLogProbs(hidden, batch.InputIds, batch.TargetIndex, options);
        return tokens.Logps.sum(1);
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<KtoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = _collator.Collate(microBatch, kl: false);
        var logps = SequenceLogps(_policy, batch, new LmHeadLogProbsOptions { Entropy = true, Statistics = true }, out var tokens);
        var mask = batch.CompletionMask.narrow(1, 1, batch.InputIds.shape[1] - 1).to_type(ScalarType.Float32);
        Tensor refLogps, z;
        using (no_grad())
        {
            refLogps = _precomputed is null ? _reference!.Score(m => SequenceLogps(m, batch, null, out _))
                : tensor(microBatch.Select(e => _precomputed[e][0]).ToArray(), device: logps.device);
            if (_config.LossType == "kto")
            {
                using var klBatch = _collator.Collate(microBatch, kl: true);
                var klPolicy = SequenceLogps(_policy, klBatch, null, out _);
                var klRef = _precomputed is null ? _reference!.Score(m => SequenceLogps(m, klBatch, null, out _))
                    : tensor(microBatch.Select(e => _precomputed[e][1]).ToArray(), device: logps.device);
                z = (klPolicy - klRef).mean().clamp_min(0).detach();
            }
            else z = zeros(1, device: logps.device).squeeze();
        }
        var labels = tensor(microBatch.Select(e => e.Label).ToArray(), device: logps.device);
        var u = logps - refLogps;
        var loss = KtoLoss.Compute(_config, u, z, labels);
        return new LossOutput(loss / context.GradientAccumulationSteps, Metrics(microBatch, u.detach(), logps.detach(), tokens, mask, labels, z));
    }

    Dictionary<string, Tensor> Metrics(IReadOnlyList<KtoExample> batch, Tensor u, Tensor logps, TokenLogProbs tokens, Tensor mask, Tensor labels, Tensor z)
    {
        using var noGrad = no_grad();
        int nChosen = batch.Count(e => e.Label), nRejected = batch.Count - nChosen;
        var rowMean = tokens.MeanLogit!;
        var desirable = labels.to_type(ScalarType.Float32);
        var chosenRows = labels.to_type(ScalarType.Float32).unsqueeze(1) * mask;
        var rejectedRows = labels.logical_not().to_type(ScalarType.Float32).unsqueeze(1) * mask;
        var metrics = new Dictionary<string, Tensor>
        {
            ["kl"] = z,
            ["entropy"] = (tokens.Entropy!.detach() * mask).sum() / mask.sum(),
        };
        if (nChosen > 0)
        {
            metrics["logits/chosen"] = (rowMean * chosenRows).sum() / chosenRows.sum();
            metrics["rewards/chosen"] = (_config.Beta * u * desirable).sum() / nChosen;
            metrics["logps/chosen"] = (logps * desirable).sum() / nChosen;
        }
        if (nRejected > 0)
        {
            metrics["logits/rejected"] = (rowMean * rejectedRows).sum() / rejectedRows.sum();
            metrics["rewards/rejected"] = (_config.Beta * u * (1 - desirable)).sum() / nRejected;
            metrics["logps/rejected"] = (logps * (1 - desirable)).sum() / nRejected;
        }
        if (nChosen > 0 && nRejected > 0) metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"];
        return metrics;
    }
}
