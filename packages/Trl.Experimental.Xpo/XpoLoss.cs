using static TorchSharp.torch;

namespace Trl.Xpo;

/// <summary>XPO's loss (TRL's XPOTrainer._compute_losses): the DPO loss between the policy's and the reference's samples
/// (chosen by score, ties to the policy sample) plus α times the policy's log-likelihood of the reference sample
/// (minimising it explores away from what the reference would say).</summary>
public static class XpoLoss
{
    /// <summary>The mean loss, the per-row DPO and exploration terms, and TRL's statistics of them.</summary>
    public sealed record Output(Tensor Loss, Tensor DpoLosses, Tensor XpoLosses, Dictionary<string, Tensor> Metrics);

    /// <summary>Computes the loss from per-token log-probs [B, T], already zero at padding, in TRL's argument order:
    /// policy on its own samples, policy on the reference samples, reference on its samples, reference on the policy
    /// samples; <paramref name="chosenMask"/> [B] is true where the policy sample won.</summary>
    public static Output Compute(Tensor modelLogpsModelData, Tensor modelLogpsRefData, Tensor refLogpsRefData, Tensor refLogpsModelData,
        Tensor chosenMask, double beta, double alpha, string lossType)
    {
        ArgumentNullException.ThrowIfNull(modelLogpsModelData);
        ArgumentNullException.ThrowIfNull(chosenMask);
        var piM = modelLogpsModelData.sum(1);
        var piR = modelLogpsRefData.sum(1);
        var rhoR = refLogpsRefData.sum(1);
        var rhoM = refLogpsModelData.sum(1);
        var chosen = chosenMask.to_type(ScalarType.Bool);
        var chosenModel = where(chosen, piM, piR);
        var chosenRef = where(chosen, rhoM, rhoR);
        var rejectedModel = where(chosen, piR, piM);
        var rejectedRef = where(chosen, rhoR, rhoM);
        var x = (chosenModel - chosenRef) - (rejectedModel - rejectedRef);
        var dpo = lossType switch
        {
            "sigmoid" => -nn.functional.logsigmoid(beta * x),
            "ipo" => (x - 1 / (2 * beta)).pow(2),
            _ => throw new ArgumentException($"loss_type must be sigmoid or ipo (got '{lossType}').", nameof(lossType)),
        };
        var xpo = alpha * piR;
        var loss = (dpo + xpo).mean();

        using var noGrad = no_grad();
        var chosenRewards = beta * (chosenModel - chosenRef).detach();
        var rejectedRewards = beta * (rejectedModel - rejectedRef).detach();
        var margins = chosenRewards - rejectedRewards;
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["loss/dpo"] = dpo.detach().mean(),
            ["loss/xpo"] = xpo.detach().mean(),
            // TRL's quirk: the policy's and the reference's means added.
            ["logps/chosen"] = chosenModel.detach().mean() + chosenRef.mean(),
            ["logps/rejected"] = rejectedModel.detach().mean() + rejectedRef.mean(),
            ["rewards/chosen"] = chosenRewards.mean(),
            ["rewards/rejected"] = rejectedRewards.mean(),
            ["rewards/margins"] = margins.mean(),
            ["rewards/accuracies"] = margins.gt(0).to_type(ScalarType.Float32).mean(),
            ["objective/kl"] = ((piM - rhoM).detach().mean() + (piR - rhoR).detach().mean()) / 2,
            ["objective/entropy"] = ((-piM).detach().mean() + (-piR).detach().mean()) / 2,
            ["alpha"] = tensor(alpha),
            ["beta"] = tensor(beta),
        };
        return new Output(loss, dpo, xpo, metrics);
    }
}
