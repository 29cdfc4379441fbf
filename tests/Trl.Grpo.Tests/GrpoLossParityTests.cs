using Trl.Grpo;
using Trl.Testing;

namespace Trl.Grpo.Tests;

/// <summary>Every case of fixtures/trl/kernels/grpo_loss.json, produced by TRL's real GRPOTrainer._compute_loss: the
/// loss, its gradient with respect to the per-token log-probs, and every logged metric, for all loss types, β ≠ 0,
/// GSPO, δ clipping, off-policy and top-entropy masks, bias-corrected KL, entropy bonus, accumulation and eval mode.</summary>
public class GrpoLossParityTests
{
    static readonly Lazy<System.Text.Json.Nodes.JsonNode> Golden = new(() => Fixtures.Json(Fixtures.Trl("kernels", "grpo_loss.json")));

    public static IEnumerable<string> CaseNames() =>
        Fixtures.Json(Fixtures.Trl("kernels", "grpo_loss.json"))["cases"]!.AsArray().Select(c => c!["name"]!.GetValue<string>());

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesTrl(string name)
    {
        var golden = Golden.Value;
        var c = golden["cases"]!.AsArray().First(x => x!["name"]!.GetValue<string>() == name)!;
        var inputs = golden["inputs"]!;
        var cfg = c["config"]!;
        var eff = c["effective"]!;
        double? Nullable(string key) => cfg[key] is null ? null : JsonTensors.Number(cfg[key]!);
        var config = new GrpoConfig
        {
            LossType = cfg["loss_type"]!.GetValue<string>(),
            Beta = JsonTensors.Number(cfg["beta"]!),
            Epsilon = JsonTensors.Number(cfg["epsilon"]!),
            EpsilonHigh = Nullable("epsilon_high"),
            Delta = Nullable("delta"),
            ImportanceSamplingLevel = cfg["importance_sampling_level"]!.GetValue<string>(),
            MaxCompletionLength = cfg["max_completion_length"]!.GetValue<int>(),
            TopEntropyQuantile = JsonTensors.Number(cfg["top_entropy_quantile"]!),
            OffPolicyMaskThreshold = Nullable("off_policy_mask_threshold"),
            UseBiasCorrectionKl = cfg["use_bias_correction_kl"]!.GetValue<bool>(),
            EntropyCoef = JsonTensors.Number(cfg["entropy_coef"]!),
            SapoTemperaturePos = JsonTensors.Number(cfg["sapo_temperature_pos"]!),
            SapoTemperatureNeg = JsonTensors.Number(cfg["sapo_temperature_neg"]!),
            VespoKPos = JsonTensors.Number(cfg["vespo_k_pos"]!),
            VespoLambdaPos = JsonTensors.Number(cfg["vespo_lambda_pos"]!),
            VespoKNeg = JsonTensors.Number(cfg["vespo_k_neg"]!),
            VespoLambdaNeg = JsonTensors.Number(cfg["vespo_lambda_neg"]!),
        };
        Assert.That(config.EffectiveEpsilonHigh, Is.EqualTo(JsonTensors.Number(eff["epsilon_high"]!)).Within(1e-12));

        using var scope = NewDisposeScope();
        var logps = JsonTensors.ToTensor(inputs["per_token_logps"]!).requires_grad_(true);
        var old = eff["old_per_token_logps_given"]!.GetValue<bool>() ? JsonTensors.ToTensor(inputs["old_per_token_logps"]!) : null;
        var x = new GrpoLoss.Inputs(logps, old, JsonTensors.ToTensor(inputs["ref_per_token_logps"]!),
            JsonTensors.ToTensor(inputs["advantages"]!), JsonTensors.ToTensor(inputs["completion_mask"]!),
            JsonTensors.ToTensor(inputs["entropies"]!), JsonTensors.Number(eff["num_items_in_batch"]!),
            eff["current_gradient_accumulation_steps"]!.GetValue<int>(), eff["mode"]!.GetValue<string>() == "train");

        var output = GrpoLoss.Compute(config, x, config.EntropyCoef);
        output.Loss.backward();

        TensorAssert.CloseRel(output.Loss.item<float>(), JsonTensors.Number(c["loss"]!), 1e-5, name + " loss");
        TensorAssert.Close(logps.grad!, JsonTensors.ToTensor(c["grad_per_token_logps"]!), atol: 1e-7, rtol: 1e-5, what: name + " grad");
        var expected = c["metrics"]!.AsObject();
        foreach (var (key, value) in expected)
        {
            if (key == "entropy_coef") continue;    // logged by the trainer at optimizer-step boundaries (checked below)
            Assert.That(output.Metrics, Contains.Key(key), name);
            TensorAssert.CloseRel(output.Metrics[key].to_type(ScalarType.Float64).item<double>(), JsonTensors.Number(value!.AsArray()[0]!), 1e-5, $"{name} {key}");
        }
        var ours = output.Metrics.Keys.Where(k => k != "entropy_coef").ToHashSet();
        Assert.That(ours, Is.EquivalentTo(expected.Select(kv => kv.Key).Where(k => k != "entropy_coef")), name + ": metric names");
        if (expected.ContainsKey("entropy_coef"))
            Assert.That(JsonTensors.Number(expected["entropy_coef"]!.AsArray()[0]!), Is.EqualTo(JsonTensors.Number(c["entropy_coef_after"]!)).Within(1e-12));
    }

    [Test]
    public void HighEntropyMaskKeepsTheTopQuantileOfValidTokensOnly()
    {
        // TRL's test: entropies 0.1..1.2, the last two padded, quantile 0.8 keeps only 0.9 and 1.0.
        using var scope = NewDisposeScope();
        var entropies = tensor(new float[] { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f, 1.1f, 1.2f }).view(2, 6);
        var mask = tensor(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }).view(2, 6);
        var kept = GrpoLoss.HighEntropyMask(entropies, mask, 0.8);
        Assert.That(kept.data<float>().ToArray(), Is.EqualTo(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0 }));
    }
}
