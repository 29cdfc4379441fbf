using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>What a trainer's loss computation returns for one micro-batch: the loss to back-propagate (already
/// normalised for accumulation) and the metrics to log under TRL's names, as 0-d tensors that stay on the device
/// until a logging step reads them (no host sync per micro-batch). A metric with a weight in
/// <see cref="MetricWeights"/> is averaged over the logging window as Σ(value·weight)/Σweight; others as the plain
/// mean of the micro-batch values. NaN values are left out of the average (TRL's nanmean).</summary>
public sealed class LossOutput(Tensor loss, IReadOnlyDictionary<string, Tensor> metrics)
{
    /// <summary>The loss to back-propagate.</summary>
    public Tensor Loss { get; } = loss ?? throw new ArgumentNullException(nameof(loss));

    /// <summary>The metrics by TRL's names (0-d tensors).</summary>
    public IReadOnlyDictionary<string, Tensor> Metrics { get; } = metrics ?? throw new ArgumentNullException(nameof(metrics));

    /// <summary>Weights of weighted metrics (the metric's value is then the micro-batch's own average).</summary>
    public IReadOnlyDictionary<string, double>? MetricWeights { get; init; }
}
