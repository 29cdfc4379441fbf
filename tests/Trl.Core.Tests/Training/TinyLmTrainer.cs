using Trl.Data;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Core.Tests.Training;

/// <summary>The smallest real trainer: next-token loss over all tokens, for testing the shared loop.</summary>
internal class TinyLmTrainer(CausalLM model, TrainingOptions options, IReadOnlyList<TokenizedExample> data)
    : Trainer<TokenizedExample>(model, options, data)
{
    readonly LanguageModelingCollator _collator = new(padTokenId: 0, completionOnlyLoss: false);

    public Action<string>? FailWhileWriting { get; init; }

    protected override long CountLossItems(IReadOnlyList<TokenizedExample> microBatch) => microBatch.Sum(e => (long)e.InputIds.Count - 1);

    protected override LossOutput ComputeLoss(IReadOnlyList<TokenizedExample> microBatch, StepContext context)
    {
        using var batch = _collator.Collate(microBatch);
        var logits = model.Forward(batch.InputIds, batch.AttentionMask);
        var (l, y) = Sequences.ShiftForNextToken(logits, batch.Labels);
        var valid = y.ne(Sequences.IgnoreIndex);
        var logp = LogProbs.SelectiveLogSoftmax(l, y.masked_fill(valid.logical_not(), 0));
        var loss = -(logp * valid.to_type(ScalarType.Float32)).sum() / context.NumItemsInBatch;
        return new LossOutput(loss, new Dictionary<string, Tensor>());
    }

    protected override void WriteCheckpointFiles(string directory)
    {
        base.WriteCheckpointFiles(directory);
        FailWhileWriting?.Invoke(directory);
    }

    public static List<TokenizedExample> Data(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new TokenizedExample(
            Enumerable.Range(0, rng.Next(4, 12)).Select(_ => (long)rng.Next(3, 512)).ToArray())).ToList();
    }
}
