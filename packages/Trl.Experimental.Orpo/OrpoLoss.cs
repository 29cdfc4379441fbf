using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Orpo;

/// <summary>ORPO's odds-ratio term (TRL's odds_ratio_loss): from the average per-token log-probs of chosen and
/// rejected answers, log odds = (l_c − l_r) − (log(1 − e^l_c) − log(1 − e^l_r)), and the term logσ(log odds).</summary>
public static class OrpoLoss
{
    /// <summary>log(1 − eˣ) for x &lt; 0, computed stably.</summary>
    public static Tensor Log1mExp(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return where(x.lt(-Math.Log(2)), (-x.exp()).log1p(), (-x.expm1()).log());
    }

    /// <summary>The log odds ratio [B] and logσ of it [B].</summary>
    public static (Tensor LogOdds, Tensor Ratio) OddsRatio(Tensor chosen, Tensor rejected)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        var logOdds = (chosen - rejected) - (Log1mExp(chosen) - Log1mExp(rejected));
        return (logOdds, F.logsigmoid(logOdds));
    }
}
