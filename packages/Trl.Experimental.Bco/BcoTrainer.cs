using Microsoft.Extensions.Logging;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Bco;

/// <summary>Binary Classifier Optimization (TRL's BCOTrainer): rewards r = β(log π − log π_ref) of desirable
/// completions are pushed above, undesirable ones below, a running mean δ of all rewards.</summary>
public sealed class BcoTrainer : Trainer<BcoExample>
{
    readonly CausalLM _policy;
    readonly CausalLM _reference;
    readonly BcoConfig _config;
    readonly long _pad;

    /// <summary>Creates a trainer; <paramref name="referenceModel"/> is a frozen copy of the starting weights.</summary>
    public BcoTrainer(CausalLM model, CausalLM referenceModel, BcoConfig config, IReadOnlyList<BcoExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _reference = referenceModel ?? throw new ArgumentNullException(nameof(referenceModel));
        _config = config;
        _pad = padTokenId;
        _reference.Freeze();
    }

    /// <summary>The reward baseline δ and its moments (saved as running.json in checkpoints).</summary>
    public RunningMoments Running { get; } = new();

    /// <inheritdoc />
    protected override bool SequentialSampling => true;

    /// <inheritdoc />
    protected override void WriteCheckpointFiles(string directory)
    {
        base.WriteCheckpointFiles(directory);
        File.WriteAllText(Path.Combine(directory, "running.json"), Running.ToJson());
    }

    /// <inheritdoc />
    protected override void CompleteLogRecord(LogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.TryGetValue("rewards/chosen", out var c) && record.TryGetValue("rewards/rejected", out var r)) record["rewards/margins"] = c - r;
    }

    static Tensor Logps(CausalLM model, Tensor ids, Tensor attention, Tensor labels, out Tensor logits)
    {
        logits = model.Forward(ids, attention);
        long t = ids.shape[1] - 1;
        var y = labels.narrow(1, 1, t);
        var mask = y.ne(Sequences.IgnoreIndex);
        return (LogProbs.SelectiveLogSoftmax(logits.narrow(1, 0, t), y.masked_fill(mask.logical_not(), 0)) * mask.to_type(ScalarType.Float32)).sum(1);
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<BcoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var ids = SequencePadding.PadIds(microBatch.Select(e => e.CompletionIds).ToList(), _pad);
        using var labels = SequencePadding.PadIds(microBatch.Select(e => e.CompletionLabels).ToList(), Sequences.IgnoreIndex);
        using var attention = SequencePadding.AttentionMask(microBatch.Select(e => e.CompletionIds).ToList());
        var logps = Logps(_policy, ids, attention, labels, out var logits);
        Tensor refLogps;
        using (no_grad()) refLogps = Logps(_reference, ids, attention, labels, out _);
        var isChosen = tensor(microBatch.Select(e => e.Label).ToArray(), device: logps.device);
        var rewards = _config.Beta * (logps - refLogps);
        if (!context.Evaluating) Running.Update(rewards.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray());   // TRL: train only
        double delta = Running.Mean;
        var perRow = where(isChosen, -F.logsigmoid(rewards - delta), -F.logsigmoid(-(rewards - delta)));
        var loss = perRow.mean();

        double Sum(Tensor t, Tensor rows) => rows.any().item<bool>() ? t.detach().index_select(0, rows.nonzero().squeeze(1)).to_type(ScalarType.Float64).sum().item<double>() : 0;
        int nChosen = microBatch.Count(e => e.Label), nRejected = microBatch.Count - nChosen;
        var rejected = isChosen.logical_not();
        var metrics = new Dictionary<string, double> { ["delta"] = delta };
        var weights = new Dictionary<string, double>();
        void Add(string key, double sum, int count) { if (count == 0) return; metrics[key] = sum / count; weights[key] = count; }
        Add("rewards/chosen", Sum(rewards, isChosen), nChosen);
        Add("logps/chosen", Sum(logps, isChosen), nChosen);
        Add("logits/chosen", Sum(logits.sum(new long[] { 1, 2 }), isChosen), nChosen);
        Add("rewards/rejected", Sum(rewards, rejected), nRejected);
        Add("logps/rejected", Sum(logps, rejected), nRejected);
        Add("logits/rejected", Sum(logits.sum(new long[] { 1, 2 }), rejected), nRejected);
        return new LossOutput(loss / context.GradientAccumulationSteps, metrics) { MetricWeights = weights };
    }
}
