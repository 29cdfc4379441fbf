using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Dpo;

/// <summary>The per-pair DPO losses of TRL's DPOTrainer, on log-ratios u = log π − log π_ref.</summary>
public static class DpoLoss
{
    /// <summary>Inputs of a loss: policy/reference sequence log-probs and completion lengths, per pair.</summary>
    public sealed record Inputs(Tensor ChosenLogps, Tensor RejectedLogps, Tensor RefChosenLogps, Tensor RefRejectedLogps,
        Tensor ChosenLengths, Tensor RejectedLengths, Tensor SftLoss);

    /// <summary>The f-divergence score g(u).</summary>
    public static Tensor Score(Tensor u, DpoConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.FDivergenceType switch
        {
            "forward_kl" => -(-u).exp(),
            "js_divergence" => F.logsigmoid(u),
            "alpha_divergence" when Math.Abs(c.FAlphaDivergenceCoef - 1) < 1e-6 => u,
            "alpha_divergence" => ((c.FAlphaDivergenceCoef - 1) * u).clamp_max(80).exp() / (c.FAlphaDivergenceCoef - 1),
            _ => u,
        };
    }

    /// <summary>Per-pair losses [B] of one loss type.</summary>
    public static Tensor PerPair(string type, Inputs x, DpoConfig c)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(c);
        double b = c.Beta, eps = c.LabelSmoothing;
        var uc = x.ChosenLogps - x.RefChosenLogps;
        var ur = x.RejectedLogps - x.RefRejectedLogps;
        var gc = Score(uc, c);
        var gr = Score(ur, c);
        var delta = gc - gr;
        var nc = x.ChosenLengths.clamp_min(1);
        var nr = x.RejectedLengths.clamp_min(1);
        Tensor AotLike(Tensor d) => -(1 - eps) * F.logsigmoid(b * d) - eps * F.logsigmoid(-b * d);
        return type switch
        {
            "sigmoid" => -F.logsigmoid(b * delta),
            "hinge" => (1 - b * delta).relu(),
            "ipo" => (gc / nc - gr / nr - 1 / (2 * b)).pow(2),
            "exo_pair" => (b * delta).sigmoid() * (F.logsigmoid(b * delta) - Math.Log(1 - eps))
                          + (-b * delta).sigmoid() * (F.logsigmoid(-b * delta) - Math.Log(eps)),
            "nca_pair" => -F.logsigmoid(b * gc) - 0.5 * F.logsigmoid(-b * gc) - 0.5 * F.logsigmoid(-b * gr),
            "robust" => (-(1 - eps) * F.logsigmoid(b * delta) + eps * F.logsigmoid(-b * delta)) / (1 - 2 * eps),
            "bco_pair" => -F.logsigmoid(b * gc) - F.logsigmoid(-b * gr),
            "sppo_hard" => (gc - 1 / (2 * b)).pow(2) + (gr + 1 / (2 * b)).pow(2),
            "aot" => AotLike((x.ChosenLogps - x.RejectedLogps).sort(0).Values - (x.RefChosenLogps - x.RefRejectedLogps).sort(0).Values),
            "aot_unpaired" => AotLike(uc.sort(0).Values - ur.sort(0).Values),
            "apo_zero" => (1 - (b * uc).sigmoid()) + (b * ur).sigmoid(),
            "apo_down" => (b * uc).sigmoid() + (1 - (b * delta).sigmoid()),
            "discopop" => Discopop(b * delta, c.DiscopopTau),
            "sft" => x.SftLoss.expand(uc.shape),
            "sigmoid_norm" => -F.logsigmoid(b * (gc / nc - gr / nr)),
            _ => throw new ArgumentException($"Unknown DPO loss type '{type}'.", nameof(type)),
        };
    }

    static Tensor Discopop(Tensor x, double tau)
    {
        var m = (x / tau).sigmoid();
        return (1 - m) * -F.logsigmoid(x) + m * (-x).exp();
    }
}
