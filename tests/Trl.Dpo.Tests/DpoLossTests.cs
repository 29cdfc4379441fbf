using Trl.Dpo;

namespace Trl.Dpo.Tests;

/// <summary>Closed forms of the losses that have no recorded TRL run, at hand-computed points.</summary>
public class DpoLossTests
{
    static DpoLoss.Inputs At(double uc, double ur, double nc = 2, double nr = 4) => new(
        tensor(new[] { uc }), tensor(new[] { ur }), zeros(1, dtype: ScalarType.Float64), zeros(1, dtype: ScalarType.Float64),
        tensor(new[] { nc }), tensor(new[] { nr }), tensor(1.5));

    static double Loss(string type, DpoLoss.Inputs x, double eps = 0) =>
        DpoLoss.PerPair(type, x, new DpoConfig { Beta = 0.5, LabelSmoothing = eps }).item<double>();

    static double LogSig(double x) => -Math.Log(1 + Math.Exp(-x));
    static double Sig(double x) => 1 / (1 + Math.Exp(-x));

    [Test]
    public void LossesWithoutRecordedRunsMatchTheirFormulas()
    {
        var x = At(1.0, -0.6);
        double d = 0.5 * 1.6;
        Assert.That(Loss("hinge", x), Is.EqualTo(Math.Max(0, 1 - d)).Within(1e-12));
        Assert.That(Loss("sppo_hard", x), Is.EqualTo(Math.Pow(1 - 1, 2) + Math.Pow(-0.6 + 1, 2)).Within(1e-12));
        Assert.That(Loss("apo_down", x), Is.EqualTo(Sig(0.5) + 1 - Sig(d)).Within(1e-12));
        Assert.That(Loss("sigmoid_norm", x), Is.EqualTo(-LogSig(0.5 * (1.0 / 2 - -0.6 / 4))).Within(1e-12));
        Assert.That(Loss("aot_unpaired", x, 0.1), Is.EqualTo(-0.9 * LogSig(d) - 0.1 * LogSig(-d)).Within(1e-12));
        Assert.That(Loss("aot", x, 0.1), Is.EqualTo(-0.9 * LogSig(d) - 0.1 * LogSig(-d)).Within(1e-12));
        Assert.That(Loss("sft", x), Is.EqualTo(1.5).Within(1e-12));
        Assert.That(Loss("ipo", x), Is.EqualTo(Math.Pow(1.0 / 2 + 0.6 / 4 - 1, 2)).Within(1e-12));
    }

    [Test]
    public void FDivergenceScores()
    {
        var u = tensor(new[] { 0.3 });
        Assert.That(DpoLoss.Score(u, new DpoConfig { FDivergenceType = "forward_kl" }).item<double>(), Is.EqualTo(-Math.Exp(-0.3)).Within(1e-12));
        Assert.That(DpoLoss.Score(u, new DpoConfig { FDivergenceType = "alpha_divergence", FAlphaDivergenceCoef = 0.5 }).item<double>(),
            Is.EqualTo(Math.Exp(-0.5 * 0.3) / -0.5).Within(1e-12));
    }

    [Test]
    public void InvalidCombinationsAreClearErrors()
    {
        Assert.That(() => new DpoConfig { LossType = new[] { "exo_pair" } }.Validate(), Throws.ArgumentException.With.Message.Contains("label_smoothing"));
        Assert.That(() => new DpoConfig { LossType = new[] { "sigmoid", "sft" }, LossWeights = new[] { 1.0 } }.Validate(), Throws.ArgumentException.With.Message.Contains("loss_weights"));
        Assert.That(() => new DpoConfig { LossType = new[] { "dpo" } }.Validate(), Throws.ArgumentException.With.Message.Contains("'dpo'"));
    }
}
