using static TorchSharp.torch;

namespace Trl.Rloo;

/// <summary>RLOO's per-micro-batch objective (TRL's RLOOTrainer._compute_loss): the sequence log-prob ratio to the
/// sampling-time policy, clipped PPO-style with the sequence advantage, averaged over the sequences, and its metrics.</summary>
public static class RlooLoss
{
    /// <summary>The loss (before the accumulation division) and TRL's metrics as 0-d tensors.</summary>
    public sealed record Output(Tensor Loss, Dictionary<string, Tensor> Metrics);

    /// <summary>Computes the loss from per-token log-probs [B, T], the completion mask [B, T], the sampling-time sequence
    /// log-probs [B], the advantages [B] and the (detached) per-token entropies [B, T].</summary>
    public static Output Compute(Tensor perTokenLogps, Tensor completionMask, Tensor oldLogps, Tensor advantages, Tensor entropies,
        double epsilonLow, double epsilonHigh)
    {
        ArgumentNullException.ThrowIfNull(perTokenLogps);
        ArgumentNullException.ThrowIfNull(completionMask);
        var mask = completionMask.to_type(perTokenLogps.dtype);
        var logps = (perTokenLogps * mask).sum(1);
        var ratio = (logps - oldLogps).exp();
        var clipped = ratio.clamp(1 - epsilonLow, 1 + epsilonHigh);
        var loss = minimum(ratio * advantages, clipped * advantages).neg().mean();

        using var noGrad = no_grad();
        var tokens = mask.sum().clamp_min(1.0);
        var low = ratio.lt(1 - epsilonLow).logical_and(advantages.lt(0)).to_type(ScalarType.Float32);
        var high = ratio.gt(1 + epsilonHigh).logical_and(advantages.gt(0)).to_type(ScalarType.Float32);
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["entropy"] = (entropies.detach() * mask).sum() / tokens,
            ["clip_ratio/low_mean"] = low.mean(),
            ["clip_ratio/low_min"] = low.min(),
            ["clip_ratio/high_mean"] = high.mean(),
            ["clip_ratio/high_max"] = high.max(),
            ["clip_ratio/region_mean"] = low.logical_or(high).to_type(ScalarType.Float32).mean(),
        };
        return new Output(loss, metrics);
    }
}
