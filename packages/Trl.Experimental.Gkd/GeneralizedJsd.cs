using static TorchSharp.torch;

namespace Trl.Gkd;

/// <summary>TRL's GKDTrainer.generalized_jsd_loss: the generalized Jensen–Shannon divergence between student and teacher
/// token distributions, β·KL(T‖M) + (1 − β)·KL(S‖M) with M = (1 − β)·S + β·T, elementwise over the vocabulary
/// (β = 0 is KL(T‖S), β = 1 is KL(S‖T), both computed exactly), over the positions whose label is not −100.</summary>
public static class GeneralizedJsd
{
    /// <summary>The divergence of <paramref name="studentLogits"/> from <paramref name="teacherLogits"/> [B, T, V], both
    /// divided by <paramref name="temperature"/>. <paramref name="labels"/> [B, T] (already aligned) selects positions;
    /// <paramref name="numItemsInBatch"/>, when given, divides the sum and overrides <paramref name="reduction"/>
    /// (batchmean: ÷ valid positions, or ÷ B without labels; sum; mean: ÷ elements; none: the elementwise values).</summary>
    public static Tensor Compute(Tensor studentLogits, Tensor teacherLogits, Tensor? labels = null, double beta = 0.5, double temperature = 1.0,
        string reduction = "batchmean", double? numItemsInBatch = null)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherLogits);
        if (beta is < 0 or > 1 || double.IsNaN(beta)) throw new ArgumentException($"beta must be in [0, 1] (got {beta}).", nameof(beta));
        var logS = (studentLogits / temperature).log_softmax(-1);
        var logT = (teacherLogits / temperature).log_softmax(-1);
        Tensor jsd;
        if (beta == 0) jsd = logT.exp() * (logT - logS);
        else if (beta == 1) jsd = logS.exp() * (logS - logT);
        else
        {
            var logM = stack(new[] { logS + Math.Log(1 - beta), logT + Math.Log(beta) }).logsumexp(0);
            jsd = beta * logT.exp() * (logT - logM) + (1 - beta) * logS.exp() * (logS - logM);
        }
        Tensor? mask = null;
        if (labels is not null)
        {
            mask = labels.ne(-100);
            jsd = jsd.index(mask);
        }
        if (numItemsInBatch is double n) return jsd.sum() / n;
        return reduction switch
        {
            "batchmean" => mask is not null ? jsd.sum() / mask.sum().clamp_min(1) : jsd.sum() / Math.Max(jsd.shape[0], 1),
            "sum" => jsd.sum(),
            "mean" => jsd.mean(),
            "none" => jsd,
            _ => throw new ArgumentException($"reduction must be batchmean, sum, mean or none (got '{reduction}').", nameof(reduction)),
        };
    }
}
