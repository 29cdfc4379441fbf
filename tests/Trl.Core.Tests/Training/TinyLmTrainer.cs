using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Core.Tests.Training;

/// <summary>The smallest real trainer: next-token loss over all tokens, for testing the shared loop.</summary>
internal class TinyLmTrainer(CausalLM model, TrainingOptions options, IReadOnlyList<TinyLmExample> data)
    : Trainer<TinyLmExample>(model, options, data)
{

    public Action<string>? FailWhileWriting { get; init; }

    protected override long CountLossItems(IReadOnlyList<TinyLmExample> microBatch) => microBatch.Sum(e => (long)e.InputIds.Count - 1);

    protected override LossOutput ComputeLoss(IReadOnlyList<TinyLmExample> microBatch, StepContext context)
    {
        var rows = microBatch.Select(e => e.InputIds).ToList();
        using var ids = SequencePadding.PadIds(rows, 0);
        using var attention = SequencePadding.AttentionMask(rows);
        long t = ids.shape[1] - 1;
        var logits = model.Forward(ids, attention).narrow(1, 0, t);
        var y = ids.narrow(1, 1, t);
        var valid = attention.narrow(1, 1, t).to_type(ScalarType.Float32);
        var logp = LogProbs.SelectiveLogSoftmax(logits, y);
        var loss = -(logp * valid).sum() / context.NumItemsInBatch;
        return new LossOutput(loss, new Dictionary<string, Tensor>());
    }

    protected override void WriteCheckpointFiles(string directory)
    {
        base.WriteCheckpointFiles(directory);
        FailWhileWriting?.Invoke(directory);
    }

    public static List<TinyLmExample> Data(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new TinyLmExample(
            Enumerable.Range(0, rng.Next(4, 12)).Select(_ => (long)rng.Next(3, 512)).ToArray())).ToList();
    }
}

/// <summary>One token sequence of the tiny trainer.</summary>
internal sealed record TinyLmExample(IReadOnlyList<long> InputIds);
