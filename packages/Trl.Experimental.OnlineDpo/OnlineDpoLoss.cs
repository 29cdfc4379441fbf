using static TorchSharp.torch;

namespace Trl.OnlineDpo;

/// <summary>Online DPO's loss and statistics (TRL's OnlineDPOTrainer.training_step): rows are [first samples; second
/// samples] of the same prompts; the higher reward of each pair is chosen (ties go to the first); the DPO sigmoid or IPO
/// loss on the masked sequence log-prob sums against the reference; the objective/* statistics use the unmasked
/// per-token log-probs, as TRL's.</summary>
public static class OnlineDpoLoss
{
    /// <summary>The mean loss [0-d], the per-pair losses [B], which rows were chosen and rejected, and the statistics.</summary>
    public sealed record Output(Tensor Loss, Tensor Losses, Tensor ChosenIndices, Tensor RejectedIndices, Dictionary<string, Tensor> Metrics);

    /// <summary>Computes the loss from policy and reference per-token log-probs [2B, T], the completion mask [2B, T] and
    /// the rewards [2B] (after the missing-EOS penalty).</summary>
    public static Output Compute(Tensor logps, Tensor refLogps, Tensor completionMask, Tensor rewards, double beta, string lossType)
    {
        ArgumentNullException.ThrowIfNull(logps);
        ArgumentNullException.ThrowIfNull(refLogps);
        long b = logps.shape[0] / 2;
        var device = logps.device;
        var first = rewards.narrow(0, 0, b);
        var second = rewards.narrow(0, b, b);
        var firstWins = first.ge(second).to_type(ScalarType.Int64);
        var rows = arange(b, dtype: ScalarType.Int64, device: device);
        var chosen = rows + (1 - firstWins) * b;
        var rejected = rows + firstWins * b;
        var valid = completionMask.to_type(logps.dtype);
        var sums = (logps * valid).sum(1);
        var refSums = (refLogps * valid).sum(1);
        var piChosen = sums.index_select(0, chosen);
        var piRejected = sums.index_select(0, rejected);
        var refChosen = refSums.index_select(0, chosen);
        var refRejected = refSums.index_select(0, rejected);
        var x = (piChosen - piRejected) - (refChosen - refRejected);
        var losses = lossType switch
        {
            "sigmoid" => -nn.functional.logsigmoid(beta * x),
            "ipo" => (x - 1 / (2 * beta)).pow(2),
            _ => throw new ArgumentException($"loss_type must be sigmoid or ipo (got '{lossType}').", nameof(lossType)),
        };

        var loss = losses.mean();
        using var noGrad = no_grad();
        var kl = (logps - refLogps).detach();
        var nonScore = (-beta * kl).sum(1);
        var chosenRewards = beta * (piChosen - refChosen).detach();
        var rejectedRewards = beta * (piRejected - refRejected).detach();
        var margins = chosenRewards - rejectedRewards;
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["objective/kl"] = kl.sum(1).mean(),
            ["objective/entropy"] = -logps.detach().sum(1).mean(),
            ["objective/non_score_reward"] = nonScore.mean(),
            ["objective/rlhf_reward"] = (rewards + nonScore).mean(),
            ["objective/scores"] = rewards.mean(),
            ["objective/scores_margin"] = (rewards.index_select(0, chosen) - rewards.index_select(0, rejected)).mean(),
            ["logps/chosen"] = piChosen.detach().mean(),
            ["logps/rejected"] = piRejected.detach().mean(),
            ["rewards/chosen"] = chosenRewards.mean(),
            ["rewards/rejected"] = rejectedRewards.mean(),
            ["rewards/margins"] = margins.mean(),
            ["rewards/accuracies"] = margins.gt(0).to_type(ScalarType.Float32).mean(),
            ["beta"] = tensor(beta),
        };
        return new Output(loss, losses, chosen, rejected, metrics);
    }
}
