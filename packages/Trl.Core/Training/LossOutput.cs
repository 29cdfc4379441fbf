using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>What a trainer's loss computation returns for one micro-batch: the loss to back-propagate (already
/// normalised for accumulation) and the metrics to log under TRL's names. A metric with a weight in
/// <see cref="MetricWeights"/> is averaged over the logging window as Σ(value·weight)/Σweight (e.g. per-sample
/// sums over counts); others as a plain mean of the micro-batch values.</summary>
public sealed record LossOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Weights of weighted metrics (the metric's value is then the micro-batch's own average).</summary>
    public IReadOnlyDictionary<string, double>? MetricWeights { get; init; }
}
