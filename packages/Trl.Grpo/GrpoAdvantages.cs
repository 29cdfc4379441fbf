using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Grpo;

/// <summary>GRPO's advantages from the rewards of each completion under each reward function, as TRL computes them:
/// weighted sum then group normalisation (or, GDPO-style, per-function normalisation then sum); completions that no
/// function could score (all NaN) are left out of the baselines and get advantage 0.</summary>
public static class GrpoAdvantages
{
    /// <summary>Advantages [N] and the reward metrics TRL logs.</summary>
    public sealed record Result(Tensor Advantages, double Reward, double RewardStd, double FracRewardZeroStd);

    /// <summary>Computes advantages. <paramref name="rewardsPerFunc"/> is [N, F] (NaN = not scored), N a multiple of
    /// <paramref name="numGenerations"/> with each prompt's completions adjacent; <paramref name="scaleRewards"/> is
    /// group, batch or none; <paramref name="aggregation"/> sum_then_normalize or normalize_then_sum.</summary>
    public static Result Compute(Tensor rewardsPerFunc, IReadOnlyList<double> rewardWeights, int numGenerations,
        string scaleRewards = "group", string aggregation = "sum_then_normalize")
    {
        ArgumentNullException.ThrowIfNull(rewardsPerFunc);
        ArgumentNullException.ThrowIfNull(rewardWeights);
        if (scaleRewards is not ("group" or "batch" or "none")) throw new ArgumentException($"scale_rewards must be group, batch or none (got '{scaleRewards}').", nameof(scaleRewards));
        using var scope = NewDisposeScope();
        var r = rewardsPerFunc.to_type(ScalarType.Float32);
        long n = r.shape[0], f = r.shape[1];
        var weights = tensor(rewardWeights.Select(w => (float)w).ToArray(), device: r.device).unsqueeze(0);
        var unscorable = r.isnan().all(1);
        Tensor rewards, std, advantages;
        if (aggregation == "sum_then_normalize")
        {
            rewards = (r * weights).nan_to_num(0).sum(1).masked_fill(unscorable, double.NaN);
            var grouped = rewards.view(-1, numGenerations);
            var mean = NanMean(grouped, 1).repeat_interleave(numGenerations, 0);
            std = scaleRewards == "batch"
                ? (n > 1 ? NanStats.Std(rewards).expand_as(rewards) : zeros_like(rewards))
                : (numGenerations > 1 ? NanStats.Std(grouped, 1).repeat_interleave(numGenerations, 0) : zeros_like(rewards));
            advantages = rewards - mean;
            if (scaleRewards != "none") advantages = advantages / (std + 1e-4);
        }
        else if (aggregation == "normalize_then_sum")
        {
            var grouped = r.view(-1, numGenerations, f);
            var mean = NanMean(grouped, 1).unsqueeze(1);
            var stdK = numGenerations > 1 ? NanStats.Std(grouped, 1).unsqueeze(1) : zeros_like(mean);
            var normalized = ((grouped - mean) / (stdK + 1e-4)).view(-1, f);
            rewards = (normalized * weights).nan_to_num(0).sum(1).masked_fill(unscorable, double.NaN);
            std = n > 1 ? NanStats.Std(rewards).expand_as(rewards) : zeros_like(rewards);
            advantages = (rewards - NanMean(rewards, null)) / (std + 1e-4);
        }
        else throw new ArgumentException($"multi_objective_aggregation must be sum_then_normalize or normalize_then_sum (got '{aggregation}').", nameof(aggregation));

        advantages = advantages.nan_to_num(0);
        var logged = (r * weights).nan_to_num(0).sum(1).masked_fill(unscorable, double.NaN);
        double reward = NanMean(logged, null).item<float>();
        double rewardStd = NanStats.Std(logged).item<float>();
        double zeroStd = std.abs().le(1e-8).to_type(ScalarType.Float32).mean().item<float>();
        return new Result(advantages.MoveToOuterDisposeScope(), reward, rewardStd, zeroStd);
    }

    static Tensor NanMean(Tensor values, long? dim)
    {
        var valid = values.isnan().logical_not();
        var zeroed = values.masked_fill(valid.logical_not(), 0);
        var count = valid.to_type(values.dtype);
        return dim is long d ? zeroed.sum(d) / count.sum(d) : zeroed.sum() / count.sum();
    }
}
