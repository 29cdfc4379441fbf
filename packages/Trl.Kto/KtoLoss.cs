using static TorchSharp.torch;

namespace Trl.Kto;

/// <summary>KTO's per-example losses (TRL's kto_loss) from u = log π − log π_ref of each completion and the KL reference
/// point z: desirable 1 − σ(β(u − z)), undesirable 1 − σ(β(z − u)), weighted by desirable_weight /
/// undesirable_weight; apo_zero_unpaired: 1 − σ(βu) and σ(βu).</summary>
public static class KtoLoss
{
    /// <summary>The mean weighted loss of a batch; <paramref name="desirable"/> is the per-row label.</summary>
    public static Tensor Compute(KtoConfig config, Tensor logRatio, Tensor kl, Tensor desirable)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logRatio);
        double b = config.Beta;
        Tensor chosen, rejected;
        if (config.LossType == "kto")
        {
            chosen = 1 - (b * (logRatio - kl)).sigmoid();
            rejected = 1 - (b * (kl - logRatio)).sigmoid();
        }
        else
        {
            chosen = 1 - (b * logRatio).sigmoid();
            rejected = (b * logRatio).sigmoid();
        }
        return where(desirable, config.DesirableWeight * chosen, config.UndesirableWeight * rejected).mean();
    }
}
