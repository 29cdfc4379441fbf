using static TorchSharp.torch;

namespace Trl.NashMd;

/// <summary>Nash-MD's loss (TRL's NashMDTrainer._compute_losses): REINFORCE on the policy sample with the preference
/// probability over the mixture sample and a 0.5 control variate, score = (P − 0.5)·Σ lp, plus β times the
/// REINFORCE estimate of the KL to the reference, Σ sg(lp − ref)·lp; loss = mean(β·kl − score).</summary>
public static class NashMdLoss
{
    /// <summary>The mean loss, the per-row score terms and sequence log-ratios Σ(lp − ref), and TRL's statistics.</summary>
    public sealed record Output(Tensor Loss, Tensor Score, Tensor KlDivLog, Dictionary<string, Tensor> Metrics);

    /// <summary>Computes the loss from the policy's and the reference's per-token log-probs of the policy samples [B, T]
    /// (zero at padding) and the probability [B] that each policy sample beats its mixture sample.</summary>
    public static Output Compute(Tensor modelLogps, Tensor refLogps, Tensor probability, double beta)
    {
        ArgumentNullException.ThrowIfNull(modelLogps);
        ArgumentNullException.ThrowIfNull(refLogps);
        var sum = modelLogps.sum(1);
        var score = (probability - 0.5) * sum;
        var logRatio = (modelLogps - refLogps).detach();
        var klDivLog = logRatio.sum(1);
        var klLoss = (logRatio * modelLogps).sum(1);
        var loss = (beta * klLoss - score).mean();

        using var noGrad = no_grad();
        var refSum = refLogps.sum(1);
        var margins = sum.detach() - refSum;
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["loss/score"] = score.detach().mean(),
            ["loss/kl"] = klDivLog.mean(),
            // TRL's historical names: both are log-probs of the policy sample.
            ["logps/chosen"] = sum.detach().mean(),
            ["logps/rejected"] = refSum.mean(),
            ["rewards/probabilities"] = probability.mean(),
            ["objective/entropy"] = (-sum.detach()).mean(),
            ["rewards/margins"] = margins.mean(),
            ["rewards/accuracies"] = margins.gt(0).to_type(ScalarType.Float32).mean(),
            ["beta"] = tensor(beta),
        };
        return new Output(loss, score, klDivLog, metrics);
    }
}
