using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Cpo;

/// <summary>CPO's preference losses (TRL's cpo_loss) on the pair's rewards s (log-probs, or AlphaPO's
/// (1 − p^−α)/α): sigmoid −(1−ε)logσ(βx) − ε logσ(−βx) on x = s_c − s_r (SimPO: x − γ/β), hinge relu(1 − βx),
/// ipo (x − 1/(2β))².</summary>
public static class CpoLoss
{
    /// <summary>AlphaPO's reward shape of log-probs (identity at α = 0).</summary>
    public static Tensor Rewards(Tensor logps, double alpha)
    {
        ArgumentNullException.ThrowIfNull(logps);
        return alpha != 0 ? (1 - logps.exp().pow(-alpha)) / alpha : logps;
    }

    /// <summary>Per-pair losses of chosen and rejected rewards [B].</summary>
    public static Tensor PerPair(CpoConfig config, Tensor chosen, Tensor rejected)
    {
        ArgumentNullException.ThrowIfNull(config);
        var x = chosen - rejected;
        double beta = config.Beta, eps = config.LabelSmoothing;
        Tensor Smoothed(Tensor d) => -(1 - eps) * F.logsigmoid(beta * d) - eps * F.logsigmoid(-beta * d);
        return config.EffectiveLossType switch
        {
            "sigmoid" => Smoothed(x),
            "simpo" => Smoothed(x - config.SimpoGamma / beta),
            "hinge" => (1 - beta * x).relu(),
            _ => (x - 1 / (2 * beta)).pow(2),
        };
    }
}
