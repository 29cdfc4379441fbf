using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Rloo;

/// <summary>RLOO's advantages as TRL computes them: the weighted reward sum (NaN when no function scored a completion),
/// clamped to reward_clip_range, minus β times the sequence k1 KL Σ(old − ref); then each completion's baseline is the
/// mean reward of its scorable siblings (leave one out), optionally whitened over the batch; NaN becomes 0.</summary>
public static class RlooAdvantages
{
    /// <summary>Advantages [N], the rewards after the clip and the KL term [N], and the metrics TRL logs.</summary>
    public sealed record Result(Tensor Advantages, Tensor RewardsAfterKl, double Reward, double RewardStd, double FracRewardZeroStd);

    /// <summary>Computes advantages from <paramref name="rewardsPerFunc"/> [N, F] (NaN = not scored, each prompt's
    /// <paramref name="numGenerations"/> completions adjacent) and, when <paramref name="sequenceKl"/> [N] is given, β·KL.</summary>
    public static Result Compute(Tensor rewardsPerFunc, IReadOnlyList<double> rewardWeights, int numGenerations, Tensor? sequenceKl,
        double beta, bool normalizeAdvantages, IReadOnlyList<double>? rewardClipRange)
    {
        ArgumentNullException.ThrowIfNull(rewardsPerFunc);
        ArgumentNullException.ThrowIfNull(rewardWeights);
        using var scope = NewDisposeScope();
        var r = rewardsPerFunc.to_type(ScalarType.Float32);
        var weights = tensor(rewardWeights.Select(w => (float)w).ToArray(), device: r.device).unsqueeze(0);
        var unscorable = r.isnan().all(1);
        var logged = (r * weights).nan_to_num(0).sum(1).masked_fill(unscorable, double.NaN);
        var rewards = logged;
        if (rewardClipRange is { } clip) rewards = rewards.clamp(clip[0], clip[1]);
        if (sequenceKl is not null && beta != 0.0) rewards = rewards - beta * sequenceKl.to_type(ScalarType.Float32);

        var grouped = rewards.view(-1, numGenerations);
        var valid = grouped.isnan().logical_not();
        var count = valid.to_type(ScalarType.Float32).sum(1, keepdim: true);
        var sum = grouped.nan_to_num(0).sum(1, keepdim: true);
        var baseline = (sum - grouped) / (count - 1);
        var advantages = (grouped - baseline).view(-1);
        if (normalizeAdvantages) advantages = (advantages - NanMean(advantages)) / (NanStats.Std(advantages) + 1e-4);
        advantages = advantages.nan_to_num(0);

        var groupStd = NanStats.Std(grouped, 1);
        double zeroStd = isclose(groupStd, zeros_like(groupStd)).to_type(ScalarType.Float32).mean().item<float>();
        double reward = NanMean(logged).item<float>();
        double rewardStd = NanStats.Std(logged).item<float>();
        return new Result(advantages.MoveToOuterDisposeScope(), rewards.MoveToOuterDisposeScope(), reward, rewardStd, zeroStd);
    }

    static Tensor NanMean(Tensor values)
    {
        var valid = values.isnan().logical_not();
        return values.masked_fill(valid.logical_not(), 0).sum() / valid.to_type(values.dtype).sum();
    }
}
