using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Kto;

/// <summary>Kahneman–Tversky Optimization (TRL's KTOTrainer): desirable completions are pushed above, undesirable
/// ones below, a reference point z estimated from mismatched prompt/completion pairs.</summary>
public sealed class KtoTrainer : Trainer<KtoExample>
{
    readonly CausalLM _policy;
    readonly CausalLM? _reference;
    readonly KtoConfig _config;
    readonly long _pad;
    readonly Dictionary<KtoExample, (float Completion, float Kl)>? _precomputed;

    /// <summary>Creates a trainer; <paramref name="referenceModel"/> is a frozen copy of the starting weights (it may
    /// be null with precompute_ref_log_probs: the starting policy then scores every example once, here).</summary>
    public KtoTrainer(CausalLM model, CausalLM? referenceModel, KtoConfig config, IReadOnlyList<KtoExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _reference = referenceModel;
        _config = config;
        _pad = padTokenId;
        _reference?.Freeze();
        if (config.PrecomputeRefLogProbs) _precomputed = Precompute(trainDataset, config.PrecomputeRefBatchSize ?? config.PerDeviceTrainBatchSize);
        else if (_reference is null) throw new ArgumentNullException(nameof(referenceModel), "KTO needs a reference model unless precompute_ref_log_probs is set.");
        if (config.SyncRefModel) Callbacks.Add(new ReferenceModelSync(model, _reference!, config.RefModelMixupAlpha, config.RefModelSyncSteps));
    }

    /// <summary>Reference log-probs of each example's completion and KL completion, computed once.</summary>
    Dictionary<KtoExample, (float, float)> Precompute(IReadOnlyList<KtoExample> examples, int batchSize)
    {
        var model = _reference ?? _policy;
        using var evaluationMode = model.EvaluationMode();
        var result = new Dictionary<KtoExample, (float, float)>(ReferenceEqualityComparer.Instance);
        using var noGrad = no_grad();
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = examples.Skip(start).Take(batchSize).ToList();
            var (ids, attention, completion) = Collate(chunk, kl: false);
            var logps = SequenceLogps(model, ids, attention, completion, out _, out _).cpu().data<float>().ToArray();
            var (kIds, kAttention, kCompletion) = Collate(chunk, kl: true);
            var kl = SequenceLogps(model, kIds, kAttention, kCompletion, out _, out _).cpu().data<float>().ToArray();
            for (int i = 0; i < chunk.Count; i++) result[chunk[i]] = (logps[i], kl[i]);
        }
        return result;
    }

    /// <inheritdoc />
    protected override bool SequentialSampling => true;

    /// <summary>Right-padded [B, T] ids, attention and completion masks of prompt+completion (truncated, keep start).</summary>
    public (Tensor Ids, Tensor Attention, Tensor Completion) Collate(IReadOnlyList<KtoExample> batch, bool kl)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var ids = new List<IReadOnlyList<long>>();
        var masks = new List<IReadOnlyList<long>>();
        foreach (var e in batch)
        {
            var completion = kl ? e.KlCompletionIds : e.CompletionIds;
            IReadOnlyList<long> seq = e.PromptIds.Concat(completion).ToArray();
            IReadOnlyList<long> mask = Enumerable.Repeat(0L, e.PromptIds.Count).Concat(Enumerable.Repeat(1L, completion.Count)).ToArray();
            ids.Add(Sequences.TruncateKeepStart(seq, _config.MaxLength));
            masks.Add(Sequences.TruncateKeepStart(mask, _config.MaxLength));
        }
        return (SequencePadding.PadIds(ids, _pad), SequencePadding.AttentionMask(ids), SequencePadding.PadIds(masks, 0));
    }

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<KtoExample> microBatch) =>
        microBatch.Sum(e => (long)Math.Min(e.PromptIds.Count + e.CompletionIds.Count, _config.MaxLength ?? int.MaxValue));

    static Tensor SequenceLogps(CausalLM model, Tensor ids, Tensor attention, Tensor completion, out Tensor logits, out Tensor mask)
    {
        var full = model.Forward(ids, attention);
        long t = ids.shape[1] - 1;
        logits = full.narrow(1, 0, t);
        mask = completion.narrow(1, 1, t).to_type(ScalarType.Float32);
        return (LogProbs.SelectiveLogSoftmax(logits, ids.narrow(1, 1, t)) * mask).sum(1);
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<KtoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (ids, attention, completion) = Collate(microBatch, kl: false);
        var logps = SequenceLogps(_policy, ids, attention, completion, out var logits, out var mask);
        Tensor refLogps, z;
        using (no_grad())
        {
            refLogps = _precomputed is null ? SequenceLogps(_reference!, ids, attention, completion, out _, out _)
                : tensor(microBatch.Select(e => _precomputed[e].Completion).ToArray(), device: logps.device);
            if (_config.LossType == "kto")
            {
                var (kIds, kAttention, kCompletion) = Collate(microBatch, kl: true);
                var klPolicy = SequenceLogps(_policy, kIds, kAttention, kCompletion, out _, out _);
                var klRef = _precomputed is null ? SequenceLogps(_reference!, kIds, kAttention, kCompletion, out _, out _)
                    : tensor(microBatch.Select(e => _precomputed[e].Kl).ToArray(), device: logps.device);
                z = (klPolicy - klRef).mean().clamp_min(0).detach();
            }
            else z = zeros(1, device: logps.device).squeeze();
        }
        var labels = tensor(microBatch.Select(e => e.Label).ToArray(), device: logps.device);
        var u = logps - refLogps;
        double b = _config.Beta;
        Tensor chosenLoss, rejectedLoss;
        if (_config.LossType == "kto")
        {
            chosenLoss = 1 - (b * (u - z)).sigmoid();
            rejectedLoss = 1 - (b * (z - u)).sigmoid();
        }
        else
        {
            chosenLoss = 1 - (b * u).sigmoid();
            rejectedLoss = (b * u).sigmoid();
        }
        var perRow = where(labels, _config.DesirableWeight * chosenLoss, _config.UndesirableWeight * rejectedLoss);
        var loss = perRow.mean();
        return new LossOutput(loss / context.GradientAccumulationSteps, Metrics(microBatch, u.detach(), logps.detach(), logits.detach(), mask, labels, z));
    }

    Dictionary<string, double> Metrics(IReadOnlyList<KtoExample> batch, Tensor u, Tensor logps, Tensor logits, Tensor mask, Tensor labels, Tensor z)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double Item(Tensor t) => t.to_type(ScalarType.Float64).item<double>();
        int nChosen = batch.Count(e => e.Label), nRejected = batch.Count - nChosen;
        var rowMean = logits.mean(new long[] { -1 });
        var chosenRows = labels.to_type(ScalarType.Float32).unsqueeze(1) * mask;
        var rejectedRows = labels.logical_not().to_type(ScalarType.Float32).unsqueeze(1) * mask;
        var metrics = new Dictionary<string, double>
        {
            ["kl"] = Item(z),
            ["entropy"] = Item((LogProbs.EntropyFromLogits(logits) * mask).sum() / mask.sum()),
        };
        if (nChosen > 0)
        {
            metrics["logits/chosen"] = Item((rowMean * chosenRows).sum() / chosenRows.sum());
            metrics["rewards/chosen"] = Item((_config.Beta * u).masked_select(labels).sum()) / nChosen;
            metrics["logps/chosen"] = Item(logps.masked_select(labels).sum()) / nChosen;
        }
        if (nRejected > 0)
        {
            metrics["logits/rejected"] = Item((rowMean * rejectedRows).sum() / rejectedRows.sum());
            metrics["rewards/rejected"] = Item((_config.Beta * u).masked_select(labels.logical_not()).sum()) / nRejected;
            metrics["logps/rejected"] = Item(logps.masked_select(labels.logical_not()).sum()) / nRejected;
        }
        if (nChosen > 0 && nRejected > 0) metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"];
        return metrics;
    }
}
