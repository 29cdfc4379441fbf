using static TorchSharp.torch;

namespace Trl.Grpo;

/// <summary>GRPO's per-micro-batch objective (TRL's GRPOTrainer._compute_loss): importance ratios at token or sequence
/// level, the clipped/soft/CISPO/VESPO policy terms, k3 KL to the reference, off-policy and top-entropy masks, the
/// loss-type normalisation, the entropy bonus, and every metric TRL logs for it.</summary>
public static class GrpoLoss
{
    /// <summary>The tensors of one micro-batch. All [B, T] except <paramref name="Advantages"/> [B].
    /// <paramref name="OldPerTokenLogps"/> null means on-policy (old = sg(logps)); <paramref name="RefPerTokenLogps"/>
    /// is needed when beta ≠ 0. <paramref name="NumItemsInBatch"/> is the loss-mask sum of the whole generation batch.</summary>
    public sealed record Inputs(Tensor PerTokenLogps, Tensor? OldPerTokenLogps, Tensor? RefPerTokenLogps, Tensor Advantages,
        Tensor Mask, Tensor Entropies, double NumItemsInBatch, int GradientAccumulationSteps, bool Training);

    /// <summary>The loss to back-propagate and the metrics of this micro-batch (0-d tensors on the device), with the
    /// entropy sum and token count over the loss mask (for the adaptive entropy controller).</summary>
    public sealed record Output(Tensor Loss, Dictionary<string, Tensor> Metrics, Tensor EntropySum, Tensor EntropyCount);

    /// <summary>Computes the loss. <paramref name="entropyCoef"/> is the coefficient applied this step (the configured
    /// one, or the adaptive controller's).</summary>
    public static Output Compute(GrpoConfig config, Inputs x, double entropyCoef)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(x);
        var lp = x.PerTokenLogps;
        var mask = x.Mask.to_type(lp.dtype);
        var adv = x.Advantages.dim() == 1 ? x.Advantages.unsqueeze(1) : x.Advantages;
        var old = x.OldPerTokenLogps ?? lp.detach();

        var entropyMask = config.TopEntropyQuantile < 1.0 ? HighEntropyMask(x.Entropies, mask, 1 - config.TopEntropyQuantile) : null;
        var logRatio = lp - old;
        var logWeights = config.ImportanceSamplingLevel == "sequence"
            ? ((logRatio * mask).sum(-1) / mask.sum(-1).clamp_min(1.0)).unsqueeze(-1)
            : logRatio;
        var ratio = logWeights.exp();
        var kl = config.Beta != 0.0 ? ReferenceKl(config, x, lp, ratio) : null;

        var (perToken, clippedRatio, phi) = PolicyTerm(config, lp, adv, logRatio, ratio, mask);
        if (config.OffPolicyMaskThreshold is double threshold) perToken = perToken * OffPolicyKeep(old, lp, adv, mask, threshold);
        if (entropyMask is not null) perToken = perToken * entropyMask;
        if (kl is not null) perToken = perToken + config.Beta * kl;

        var loss = Reduce(config, perToken, mask, x);
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var effectiveMask = entropyMask is null ? mask : mask * entropyMask;
        if (config.EntropyCoef != 0.0 || config.UseAdaptiveEntropy)
            loss = AddEntropyBonus(config, loss, x, effectiveMask, entropyCoef, metrics);
        Metrics(config, metrics, kl, x.Entropies, clippedRatio, adv, mask, phi);
        return new Output(loss, metrics, (x.Entropies.detach() * effectiveMask).sum(), effectiveMask.sum());
    }

    /// <summary>k3 KL to the reference per token, exp(ref − lp) − (ref − lp) − 1 (times the ratio with the bias correction).</summary>
    static Tensor ReferenceKl(GrpoConfig config, Inputs x, Tensor lp, Tensor ratio)
    {
        var refLp = x.RefPerTokenLogps ?? throw new ArgumentException("beta != 0 needs the reference log-probs.", nameof(x));
        var kl = (refLp - lp).exp() - (refLp - lp) - 1;
        return config.UseBiasCorrectionKl ? kl * ratio : kl;
    }

    /// <summary>Off-policy sequence mask: keep sequences with a non-negative advantage or a small KL to the sampler.</summary>
    static Tensor OffPolicyKeep(Tensor old, Tensor lp, Tensor adv, Tensor mask, double threshold)
    {
        var seqKl = ((old - lp.detach()) * mask).sum(1, keepdim: true) / mask.sum(1, keepdim: true).clamp_min(1.0);
        return adv.ge(0).logical_or(seqKl.le(threshold)).to_type(mask.dtype);
    }

    /// <summary>The per-token policy objective of the loss type; returns it with the ratio the clip metrics see and
    /// VESPO's φ (when used).</summary>
    static (Tensor PerToken, Tensor Ratio, Tensor? Phi) PolicyTerm(GrpoConfig config, Tensor lp, Tensor adv, Tensor logRatio, Tensor ratio, Tensor mask)
    {
        double epsLow = config.Epsilon, epsHigh = config.EffectiveEpsilonHigh;
        switch (config.LossType)
        {
            case "cispo":
                return (-ratio.clamp_max(epsHigh).detach() * adv * lp, ratio, null);
            case "sapo":
                var tau = where(adv.gt(0), full_like(adv, config.SapoTemperaturePos), full_like(adv, config.SapoTemperatureNeg));
                return (-(sigmoid(tau * (ratio - 1)) * 4 / tau) * adv, ratio, null);
            case "vespo":
                var phi = VespoWeights(adv, logRatio.detach(), mask, config);
                return (-phi * adv * lp, ratio, phi);
            default:
                var clipped = ratio.clamp(1 - epsLow, 1 + epsHigh);
                // Two-sided clipping caps the unclipped ratio; TRL's clip metrics then see the capped ratio too.
                var capped = config.Delta is double delta ? ratio.clamp_max(delta) : ratio;
                return (-minimum(capped * adv, clipped * adv), capped, null);
        }
    }

    /// <summary>The loss type's normalisation of the masked per-token loss.</summary>
    static Tensor Reduce(GrpoConfig config, Tensor perToken, Tensor mask, Inputs x)
    {
        double accumulation = x.Training ? x.GradientAccumulationSteps : 1.0;
        double tokenNormalizer = Math.Max(x.NumItemsInBatch, 1.0);
        return config.LossType switch
        {
            "grpo" or "sapo" => ((perToken * mask).sum(-1) / mask.sum(-1).clamp_min(1.0)).mean() / accumulation,
            "bnpo" => (perToken * mask).sum() / mask.sum().clamp_min(1.0) / accumulation,
            "dr_grpo" => (perToken * mask).sum() / (perToken.shape[0] * (double)config.MaxCompletionLength) / accumulation,
            "cispo" or "dapo" or "vespo" => (perToken * mask).sum() / tokenNormalizer,
            "luspo" => (perToken * mask.sum(1, keepdim: true)).mean() / accumulation,
            _ => throw new ArgumentException($"Unknown loss type {config.LossType}."),
        };
    }

    /// <summary>Subtracts the entropy bonus, normalised as the loss is, and records the policy loss before it.</summary>
    static Tensor AddEntropyBonus(GrpoConfig config, Tensor loss, Inputs x, Tensor effectiveMask, double entropyCoef, Dictionary<string, Tensor> metrics)
    {
        double accumulation = x.Training ? x.GradientAccumulationSteps : 1.0;
        bool tokenNormalized = config.LossType is "cispo" or "dapo" or "vespo";
        // TRL logs the policy loss before the bonus, undivided by the accumulation steps it was already divided by.
        metrics["policy_loss"] = tokenNormalized ? loss.detach() : loss.detach() * accumulation;
        var entropyTerm = tokenNormalized
            ? (x.Entropies * effectiveMask).sum() / Math.Max(x.NumItemsInBatch, 1.0)
            : (x.Entropies * effectiveMask).sum() / effectiveMask.sum().clamp_min(1.0) / accumulation;
        return loss - entropyCoef * entropyTerm;
    }

    /// <summary>TRL's loss metrics: kl, entropy, and the clip ratios of the loss type.</summary>
    static void Metrics(GrpoConfig config, Dictionary<string, Tensor> metrics, Tensor? kl, Tensor entropies, Tensor ratio, Tensor adv, Tensor mask, Tensor? phi)
    {
        if (kl is not null) metrics["kl"] = GlobalMaskedMean(kl.detach(), mask);
        metrics["entropy"] = GlobalMaskedMean(entropies.detach(), mask);
        double epsLow = config.Epsilon, epsHigh = config.EffectiveEpsilonHigh;
        if (config.LossType is "grpo" or "bnpo" or "dr_grpo" or "dapo" or "luspo")
        {
            var c = ratio.detach();
            var low = c.lt(1 - epsLow).logical_and(adv.lt(0)).to_type(mask.dtype);
            var high = c.gt(1 + epsHigh).logical_and(adv.gt(0)).to_type(mask.dtype);
            metrics["clip_ratio/low_mean"] = GlobalMaskedMean(low, mask);
            metrics["clip_ratio/high_mean"] = GlobalMaskedMean(high, mask);
            metrics["clip_ratio/region_mean"] = GlobalMaskedMean(low.logical_or(high).to_type(mask.dtype), mask);
            metrics["clip_ratio/low_min"] = NanExtreme(SequenceMeans(low, mask), min: true);
            metrics["clip_ratio/high_max"] = NanExtreme(SequenceMeans(high, mask), min: false);
        }
        else if (config.LossType == "cispo")
            metrics["cispo_clip_ratio"] = GlobalMaskedMean(ratio.detach().gt(epsHigh).logical_and(adv.gt(0)).to_type(mask.dtype), mask);
        else if (config.LossType == "vespo")
            metrics["vespo/phi_seq_mean"] = GlobalMaskedMean(phi!, mask);
    }

    /// <summary>Tokens whose entropy is at least the <paramref name="quantile"/> of the valid tokens' entropies
    /// (torch.quantile, linear interpolation); padding is never kept. Works on the device: the valid entropies are
    /// sorted first (padding sorts last as +∞) and the interpolation reads the two neighbours of the quantile.</summary>
    public static Tensor HighEntropyMask(Tensor entropies, Tensor mask, double quantile)
    {
        ArgumentNullException.ThrowIfNull(entropies);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var valid = mask.to_type(ScalarType.Bool);
        var e = entropies.detach().to_type(ScalarType.Float32);
        var sorted = e.masked_fill(valid.logical_not(), double.PositiveInfinity).flatten().sort().Values;
        var n = valid.sum().to_type(ScalarType.Float32);
        var pos = (n - 1).clamp_min(0) * quantile;
        var lo = pos.floor();
        var hi = minimum(lo + 1, (n - 1).clamp_min(0));
        var vLo = sorted.gather(0, lo.to_type(ScalarType.Int64).unsqueeze(0));
        var vHi = sorted.gather(0, hi.to_type(ScalarType.Int64).unsqueeze(0));
        var threshold = vLo + (vHi - vLo) * (pos - lo);
        var keep = (e * mask.to_type(ScalarType.Float32)).ge(threshold).logical_and(valid).logical_and(n.gt(0));
        return keep.to_type(entropies.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>VESPO's gamma weight φ(w) of each sequence [B, 1], w the sequence importance ratio (no gradient).</summary>
    static Tensor VespoWeights(Tensor adv, Tensor logRatio, Tensor mask, GrpoConfig config)
    {
        double lower = Math.Log(1e-8);
        var logW = (logRatio.clamp(-20.0, 20.0) * mask).sum(-1, keepdim: true).clamp(lower, 20.0);
        var nonNegative = adv.ge(0);
        var k = where(nonNegative, full_like(adv, config.VespoKPos), full_like(adv, config.VespoKNeg));
        var lambda = where(nonNegative, full_like(adv, config.VespoLambdaPos), full_like(adv, config.VespoLambdaNeg)).clamp_min(1e-4);
        return (lambda + k * logW - lambda * logW.exp()).exp().nan_to_num(0.0, 0.0, 0.0);
    }

    static Tensor GlobalMaskedMean(Tensor x, Tensor mask)
    {
        if (x.shape[1] == 1) return x.sum() / Math.Max(x.shape[0], 1);
        return (x * mask).sum() / mask.sum().clamp_min(1.0);
    }

    static Tensor SequenceMeans(Tensor x, Tensor mask) => x.shape[1] == 1 ? x.squeeze(1) : (x * mask).sum(-1) / mask.sum(-1);

    /// <summary>Min or max over the non-NaN values; NaN when there is none.</summary>
    static Tensor NanExtreme(Tensor values, bool min)
    {
        var nan = values.isnan();
        var filled = values.masked_fill(nan, min ? double.PositiveInfinity : double.NegativeInfinity);
        var extreme = min ? filled.min() : filled.max();
        return where(nan.all(), full_like(extreme, double.NaN), extreme);
    }
}
