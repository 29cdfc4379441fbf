using Microsoft.Extensions.Logging;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Bco;

/// <summary>Binary Classifier Optimization (TRL's BCOTrainer): rewards r = β(log π − log π_ref) of desirable
/// completions are pushed above, undesirable ones below, a running mean δ of all rewards.</summary>
public class BcoTrainer : Trainer<BcoExample>
{
    readonly CausalLM _policy;
    readonly ReferenceModel _reference;
    readonly BcoConfig _config;
    readonly long _pad;

    /// <summary>Creates a trainer; <paramref name="referenceModel"/> is a frozen copy of the starting weights.</summary>
    public BcoTrainer(CausalLM model, CausalLM? referenceModel, BcoConfig config, IReadOnlyList<BcoExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _reference = ReferenceModel.Resolve(model, referenceModel) ?? throw new ArgumentNullException(nameof(referenceModel), "BCO needs a reference model (or a policy with a PEFT adapter, whose base is the reference).");
        _config = config;
        _pad = padTokenId;
    }

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;

    /// <summary>The frozen reference.</summary>
    protected ReferenceModel Reference => _reference;

    /// <summary>The configuration.</summary>
    protected BcoConfig Config => _config;

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
    protected override void ReadCheckpointFiles(string directory)
    {
        base.ReadCheckpointFiles(directory);
        var path = Path.Combine(directory, "running.json");
        if (!File.Exists(path)) throw new InvalidDataException($"{directory}: the checkpoint has no running.json (BCO's reward baseline).");
        Running.Load(File.ReadAllText(path));
    }

    /// <inheritdoc />
    protected override void CompleteLogRecord(LogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.TryGetValue("rewards/chosen", out var c) && record.TryGetValue("rewards/rejected", out var r)) record["rewards/margins"] = c - r;
    }

    /// <summary>Summed label log-probs [B] (labels −100 on the prompt and padding); with <paramref name="logitSums"/>
    /// also each row's sum of logits over every position and the vocabulary (TRL's logits/* metrics).</summary>
    static Tensor Logps(CausalLM model, Tensor ids, Tensor attention, Tensor labels, bool logitSums, out Tensor? rowLogitSums)
    {
        var hidden = model.Decoder.Forward(ids, attention);
        long t = ids.shape[1] - 1;
        var y = labels.narrow(1, 1, t);
        var mask = y.ne(Sequences.IgnoreIndex);
        // Every position is projected (the metric covers them all); the last one has no target (0 stands in).
        var targets = nn.functional.pad(y.masked_fill(mask.logical_not(), 0), new long[] { 0, 1 });
        var r = model.PositionLogProbs(hidden, targets, new LmHeadLogProbsOptions { Statistics = logitSums });
        rowLogitSums = logitSums ? r.MeanLogit!.sum(1) * model.Config.VocabSize : null;
        return (r.Logps.narrow(1, 0, t) * mask.to_type(ScalarType.Float32)).sum(1);
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<BcoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var ids = SequencePadding.PadIds(microBatch.Select(e => e.CompletionIds).ToList(), _pad, device: Device);
        using var labels = SequencePadding.PadIds(microBatch.Select(e => e.CompletionLabels).ToList(), Sequences.IgnoreIndex, device: Device);
        using var attention = SequencePadding.AttentionMask(microBatch.Select(e => e.CompletionIds).ToList(), device: Device);
        var logps = Logps(_policy, ids, attention, labels, logitSums: true, out var logitSums);
        var refLogps = _reference.Score(m => Logps(m, ids, attention, labels, logitSums: false, out _));
        var isChosen = tensor(microBatch.Select(e => e.Label).ToArray(), device: logps.device);
        var rewards = _config.Beta * (logps - refLogps);
        if (!context.Evaluating) Running.Update(rewards);   // TRL: train only
        var delta = Running.MeanTensor.detach();
        var loss = BcoLoss.Compute(rewards, delta, isChosen);

        int nChosen = microBatch.Count(e => e.Label), nRejected = microBatch.Count - nChosen;
        var chosenRows = isChosen.to_type(ScalarType.Float32);
        var rejectedRows = 1 - chosenRows;
        var metrics = new Dictionary<string, Tensor> { ["delta"] = delta.clone() };
        var weights = new Dictionary<string, double>();
        void Add(string key, Tensor values, Tensor rows, int count)
        {
            if (count == 0) return;
            metrics[key] = (values.detach() * rows).sum() / count;
            weights[key] = count;
        }
        Add("rewards/chosen", rewards, chosenRows, nChosen);
        Add("logps/chosen", logps, chosenRows, nChosen);
        Add("logits/chosen", logitSums!, chosenRows, nChosen);
        Add("rewards/rejected", rewards, rejectedRows, nRejected);
        Add("logps/rejected", logps, rejectedRows, nRejected);
        Add("logits/rejected", logitSums!, rejectedRows, nRejected);
        return new LossOutput(loss / context.GradientAccumulationSteps, metrics) { MetricWeights = weights };
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Running.Dispose();
        base.Dispose(disposing);
    }
}
