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
            var logps = SequenceLogps(model, Collate(chunk, kl: false), null, out _, out _).cpu().data<float>().ToArray();
            var kl = SequenceLogps(model, Collate(chunk, kl: true), null, out _, out _).cpu().data<float>().ToArray();
            for (int i = 0; i < chunk.Count; i++) result[chunk[i]] = (logps[i], kl[i]);
        }
        return result;
    }

    /// <inheritdoc />
    protected override bool SequentialSampling => true;

    /// <summary>Right-padded [B, T] ids, attention and completion masks of prompt+completion (truncated, keep start),
    /// with the completion targets' flat indices into the [B, T − 1] next-token grid.</summary>
    public (Tensor Ids, Tensor Attention, Tensor Completion, Tensor TargetIndex) Collate(IReadOnlyList<KtoExample> batch, bool kl)
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
        var padded = SequencePadding.PadIds(ids, _pad);
        return (padded, SequencePadding.AttentionMask(ids), SequencePadding.PadIds(masks, 0), SequencePadding.NextTokenIndex(masks, padded.shape[1]));
    }

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<KtoExample> microBatch) =>
        microBatch.Sum(e => (long)Math.Min(e.PromptIds.Count + e.CompletionIds.Count, _config.MaxLength ?? int.MaxValue));

    /// <summary>Summed completion log-probs [B] of a collated batch; <paramref name="options"/> adds the statistics the
    /// metrics need (returned in <paramref name="tokens"/> with the [B, T − 1] completion mask).</summary>
    static Tensor SequenceLogps(CausalLM model, (Tensor Ids, Tensor Attention, Tensor Completion, Tensor TargetIndex) batch,
        LmHeadLogProbsOptions? options, out TokenLogProbs tokens, out Tensor mask)
    {
        var hidden = model.Decoder.Forward(batch.Ids, batch.Attention);
        tokens = model.NextTokenLogProbs(hidden, batch.Ids, batch.TargetIndex, options);
        mask = batch.Completion.narrow(1, 1, batch.Ids.shape[1] - 1).to_type(ScalarType.Float32);
        return tokens.Logps.sum(1);
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<KtoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var collated = Collate(microBatch, kl: false);
        var logps = SequenceLogps(_policy, collated, new LmHeadLogProbsOptions { Entropy = true, Statistics = true }, out var tokens, out var mask);
        Tensor refLogps, z;
        using (no_grad())
        {
            refLogps = _precomputed is null ? SequenceLogps(_reference!, collated, null, out _, out _)
                : tensor(microBatch.Select(e => _precomputed[e].Completion).ToArray(), device: logps.device);
            if (_config.LossType == "kto")
            {
                var klBatch = Collate(microBatch, kl: true);
                var klPolicy = SequenceLogps(_policy, klBatch, null, out _, out _);
                var klRef = _precomputed is null ? SequenceLogps(_reference!, klBatch, null, out _, out _)
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
        return new LossOutput(loss / context.GradientAccumulationSteps, Metrics(microBatch, u.detach(), logps.detach(), tokens, mask, labels, z));
    }

    Dictionary<string, Tensor> Metrics(IReadOnlyList<KtoExample> batch, Tensor u, Tensor logps, TokenLogProbs tokens, Tensor mask, Tensor labels, Tensor z)
    {
        using var noGrad = no_grad();
        int nChosen = batch.Count(e => e.Label), nRejected = batch.Count - nChosen;
        var rowMean = tokens.MeanLogit!;
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
            metrics["rewards/chosen"] = (_config.Beta * u).masked_select(labels).sum() / nChosen;
            metrics["logps/chosen"] = logps.masked_select(labels).sum() / nChosen;
        }
        if (nRejected > 0)
        {
            metrics["logits/rejected"] = (rowMean * rejectedRows).sum() / rejectedRows.sum();
            metrics["rewards/rejected"] = (_config.Beta * u).masked_select(labels.logical_not()).sum() / nRejected;
            metrics["logps/rejected"] = logps.masked_select(labels.logical_not()).sum() / nRejected;
        }
        if (nChosen > 0 && nRejected > 0) metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"];
        return metrics;
    }
}
