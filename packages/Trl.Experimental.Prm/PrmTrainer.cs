using Microsoft.Extensions.Logging;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Prm;

/// <summary>Process reward model training (TRL's PRMTrainer): token-classification cross-entropy on each step's
/// labelled token. Also logs the argmax accuracy over labelled tokens.</summary>
public class PrmTrainer(TokenClassifier model, PrmConfig config, IReadOnlyList<PrmExample> trainDataset, long padTokenId, ILogger? logger = null)
    : Trainer<PrmExample>(model, config, trainDataset, logger)
{
    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PrmExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var ids = SequencePadding.PadIds(microBatch.Select(e => e.InputIds).ToList(), padTokenId, device: Device);
        using var labels = SequencePadding.PadIds(microBatch.Select(e => e.Labels).ToList(), Sequences.IgnoreIndex, device: Device);
        using var attention = SequencePadding.AttentionMask(microBatch.Select(e => e.InputIds).ToList(), device: Device);
        var logits = model.Forward(ids, attention);
        var flatLogits = logits.reshape(-1, logits.shape[^1]);
        var flatLabels = labels.reshape(-1);
        var loss = nn.functional.cross_entropy(flatLogits, flatLabels, ignore_index: Sequences.IgnoreIndex);
        // Labelled tokens are known on the host: the weight of this micro-batch's accuracy needs no device read.
        long n = microBatch.Sum(e => e.Labels.LongCount(l => l != Sequences.IgnoreIndex));
        var valid = flatLabels.ne(Sequences.IgnoreIndex);
        var correct = flatLogits.detach().argmax(-1).eq(flatLabels).logical_and(valid).sum().to_type(ScalarType.Float64);
        var metrics = new Dictionary<string, Tensor> { ["accuracy"] = n == 0 ? tensor(double.NaN) : correct / n };
        return new LossOutput(loss / context.GradientAccumulationSteps, metrics) { MetricWeights = new Dictionary<string, double> { ["accuracy"] = n } };
    }
}
