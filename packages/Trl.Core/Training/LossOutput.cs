using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>What a trainer's loss computation returns for one micro-batch: the loss to back-propagate (already
/// normalised for accumulation) and the metrics to log under TRL's names.</summary>
public sealed record LossOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);
