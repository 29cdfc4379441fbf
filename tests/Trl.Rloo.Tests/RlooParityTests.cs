using Trl.Rloo;
using Trl.Testing;

namespace Trl.Rloo.Tests;

/// <summary>Every case of fixtures/trl/kernels/rloo.json: TRL's RLOOTrainer._compute_loss (sequence ratio hitting the
/// high clip, the low clip, no clip and the pessimistic branch; loss, gradient and metrics) and its advantage block
/// (leave-one-out over scorable siblings, k1 KL in the reward, whitening, reward_clip_range, a NaN row).</summary>
public class RlooParityTests
{
    static readonly System.Text.Json.Nodes.JsonNode Golden = Fixtures.Json(Fixtures.Trl("kernels", "rloo.json"));

    [Test]
    public void LossGradientAndMetricsMatchTrl()
    {
        var x = Golden["loss_inputs"]!;
        int cases = 0;
        foreach (var c in Golden["loss_cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            var name = c!["name"]!.GetValue<string>();
            var lp = JsonTensors.ToTensor(x["per_token_logps"]!).requires_grad_(true);
            var mask = JsonTensors.ToTensor(x["completion_mask"]!);
            var old = JsonTensors.ToTensor(c["old_logps_sequence"]!);
            var eps = JsonTensors.Number(c["config"]!["epsilon"]!);
            var epsHigh = c["config"]!["epsilon_high"] is { } h ? JsonTensors.Number(h) : eps;
            var output = RlooLoss.Compute(lp, mask, old, JsonTensors.ToTensor(x["advantages"]!), JsonTensors.ToTensor(x["entropies"]!), eps, epsHigh);
            output.Loss.backward();
            TensorAssert.CloseRel(output.Loss.item<float>(), JsonTensors.Number(c["loss"]!), 1e-5, name + " loss");
            TensorAssert.Close(lp.grad!, JsonTensors.ToTensor(c["grad_per_token_logps"]!), atol: 1e-7, rtol: 1e-5, what: name + " grad");
            foreach (var (metric, value) in c["metrics"]!.AsObject())
                TensorAssert.CloseRel(output.Metrics[metric].to_type(ScalarType.Float64).item<double>(), JsonTensors.Number(value!.AsArray()[0]!), 1e-5, $"{name} {metric}");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(2));
    }

    [Test]
    public void AdvantagesMatchTrl()
    {
        var x = Golden["advantage_inputs"]!;
        int cases = 0;
        foreach (var c in Golden["advantage_cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            double beta = JsonTensors.Number(c!["beta"]!);
            bool normalize = c["normalize_advantages"]!.GetValue<bool>();
            var clip = c["reward_clip_range"]?.AsArray().Select(v => JsonTensors.Number(v!)).ToArray();
            var what = $"beta {beta} normalize {normalize} clip {(clip is null ? "none" : string.Join("..", clip))}";
            var mask = JsonTensors.ToTensor(x["completion_mask"]!);
            var kl = ((JsonTensors.ToTensor(x["old_per_token_logps"]!) - JsonTensors.ToTensor(x["ref_per_token_logps"]!)) * mask).sum(1);
            if (c["seq_kl"] is { } expectedKl && expectedKl.GetValueKind() != System.Text.Json.JsonValueKind.Null)
                TensorAssert.Close(kl, JsonTensors.ToTensor(expectedKl), atol: 1e-6, what: what + " seq_kl");
            var weights = x["reward_weights"]!.AsArray().Select(v => JsonTensors.Number(v!)).ToArray();
            var result = RlooAdvantages.Compute(JsonTensors.ToTensor(x["rewards_per_func"]!), weights, x["num_generations"]!.GetValue<int>(),
                beta == 0 ? null : kl, beta, normalize, clip);
            TensorAssert.Close(result.Advantages, JsonTensors.ToTensor(c["advantages"]!), atol: 1e-6, rtol: 1e-5, what: what + " advantages");
            var expected = JsonTensors.ToTensor(c["rewards_after_kl"]!);
            Assert.That(result.RewardsAfterKl.isnan().eq(expected.isnan()).all().item<bool>(), Is.True, what + ": the unscorable row stays NaN");
            TensorAssert.Close(result.RewardsAfterKl.nan_to_num(0), expected.nan_to_num(0), atol: 1e-6, rtol: 1e-5, what: what + " rewards_after_kl");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(5));
    }
}
