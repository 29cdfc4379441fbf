using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Ppo;

/// <summary>PPO's micro-batch objective (TRL's PPOTrainer inner loop): the clipped policy loss over the valid tokens
/// plus vf_coef × the clipped value loss over the valid tokens and one past them, with TRL's statistics.</summary>
public static class PpoLoss
{
    /// <summary>The loss (before the accumulation division) and its parts and statistics (0-d tensors).</summary>
    public sealed record Output(Tensor Loss, Tensor PolicyLoss, Tensor ValueLoss, Tensor PolicyClipFrac, Tensor ValueClipFrac, Tensor ApproxKl, Tensor RatioMean);

    /// <summary>Computes the loss from the new log-probs and value predictions [B, T] (with gradients; masked here as
    /// TRL masks them) and the rollout's log-probs, values, returns, advantages and padding masks.</summary>
    public static Output Compute(Tensor newLogprobs, Tensor valuePredictions, Tensor logprobs, Tensor values, Tensor returns, Tensor advantages,
        Tensor paddingMask, Tensor paddingMaskP1, PpoConfig config)
    {
        ArgumentNullException.ThrowIfNull(newLogprobs);
        ArgumentNullException.ThrowIfNull(config);
        var newLp = newLogprobs.masked_fill(paddingMask, PpoAdvantages.InvalidLogprob);
        var vpred = valuePredictions.masked_fill(paddingMaskP1, 0);
        var valueMask = paddingMaskP1.logical_not();
        var policyMask = paddingMask.logical_not();
        var vclipped = minimum(maximum(vpred, values - config.CliprangeValue), values + config.CliprangeValue);
        var vfLosses1 = (vpred - returns).pow(2);
        var vfLosses2 = (vclipped - returns).pow(2);
        var vfLoss = 0.5 * MaskedStats.Mean(maximum(vfLosses1, vfLosses2), valueMask);
        var logRatio = newLp - logprobs;
        var ratio = logRatio.exp();
        var pgLosses = -advantages * ratio;
        var pgLosses2 = -advantages * ratio.clamp(1 - config.Cliprange, 1 + config.Cliprange);
        var pgLoss = MaskedStats.Mean(maximum(pgLosses, pgLosses2), policyMask);
        var loss = pgLoss + config.VfCoef * vfLoss;

        using var noGrad = no_grad();
        var vfClip = MaskedStats.Mean(vfLosses2.gt(vfLosses1).to_type(ScalarType.Float32), valueMask);
        var pgClip = MaskedStats.Mean(pgLosses2.gt(pgLosses).to_type(ScalarType.Float32), policyMask);
        var approxKl = 0.5 * logRatio.detach().pow(2).mean();
        return new Output(loss, pgLoss.detach(), vfLoss.detach(), pgClip, vfClip, approxKl, ratio.detach().mean());
    }
}
