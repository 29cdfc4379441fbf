using Trl.Grpo;
using Trl.Testing;

namespace Trl.Grpo.Tests;

/// <summary>Every case of fixtures/trl/kernels/grpo_advantages.json (TRL's advantage block): group/batch/none
/// scaling, both multi-objective aggregations, NaN (unscorable) rows, a zero-std group, two weighted functions.</summary>
public class GrpoAdvantagesParityTests
{
    [Test]
    public void EveryCaseMatchesTrl()
    {
        var golden = Fixtures.Json(Fixtures.Trl("kernels", "grpo_advantages.json"));
        using var scope = NewDisposeScope();
        var rewards = JsonTensors.ToTensor(golden["rewards_per_func"]!);
        var weights = golden["reward_weights"]!.AsArray().Select(x => JsonTensors.Number(x!)).ToArray();
        int g = golden["num_generations"]!.GetValue<int>();
        int cases = 0;
        foreach (var c in golden["cases"]!.AsArray())
        {
            var scale = c!["scale_rewards"]!.GetValue<string>();
            var aggregation = c["multi_objective_aggregation"]!.GetValue<string>();
            var what = $"{scale}/{aggregation}";
            // Some cases bring their own inputs.
            var caseRewards = c["rewards_per_func"] is { } rp ? JsonTensors.ToTensor(rp) : rewards;
            var caseWeights = c["reward_weights"] is { } rw ? rw.AsArray().Select(x => JsonTensors.Number(x!)).ToArray() : weights;
            int caseG = c["num_generations"]?.GetValue<int>() ?? g;
            var result = GrpoAdvantages.Compute(caseRewards, caseWeights, caseG, scale, aggregation);
            TensorAssert.Close(result.Advantages, JsonTensors.ToTensor(c["advantages"]!), atol: 1e-6, rtol: 1e-5, what: what + " advantages");
            TensorAssert.CloseRel(result.Reward, JsonTensors.Number(c["metric_reward"]!), 1e-5, what + " reward");
            TensorAssert.CloseRel(result.RewardStd, JsonTensors.Number(c["metric_reward_std"]!), 1e-5, what + " reward_std");
            TensorAssert.CloseRel(result.FracRewardZeroStd, JsonTensors.Number(c["metric_frac_reward_zero_std"]!), 1e-5, what + " frac_reward_zero_std");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(7));
    }
}
