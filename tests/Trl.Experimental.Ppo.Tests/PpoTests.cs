using Trl.Data;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Ppo;
using Trl.Rewards;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Ppo.Tests;

/// <summary>PPO against TRL: ppo_helpers.json (TRL's real masked_mean/var/whiten) and every case of ppo.json (truncation
/// at the stop token, sequence lengths, INVALID_LOGPROB, missing-EOS penalty, k1/k3 KL, the score one past the last
/// token, reward whitening, GAE with γ/λ, returns, whitened advantages, clipped policy and value losses, clip fractions,
/// approx KL and both gradients); end to end, policy + value model + reference on the embedded default must raise the
/// mean score clearly.</summary>
public class PpoTests
{
    [Test]
    public void MaskedHelpersMatchTrl()
    {
        var h = Fixtures.Json(Fixtures.Trl("kernels", "ppo_helpers.json"));
        using var scope = NewDisposeScope();
        var v = JsonTensors.ToTensor(h["values"]!);
        var m = JsonTensors.ToTensor(h["mask"]!, ScalarType.Bool);
        TensorAssert.CloseRel(MaskedStats.Mean(v, m).item<float>(), JsonTensors.Number(h["masked_mean"]!), 1e-5, "masked_mean");
        TensorAssert.Close(MaskedStats.Mean(v, m, 1), JsonTensors.ToTensor(h["masked_mean_axis1"]!), atol: 1e-6, what: "masked_mean axis 1");
        TensorAssert.CloseRel(MaskedStats.Var(v, m).item<float>(), JsonTensors.Number(h["masked_var_unbiased"]!), 1e-5, "masked_var");
        TensorAssert.CloseRel(MaskedStats.Var(v, m, unbiased: false).item<float>(), JsonTensors.Number(h["masked_var_biased"]!), 1e-5, "masked_var biased");
        TensorAssert.Close(MaskedStats.Whiten(v, m), JsonTensors.ToTensor(h["masked_whiten"]!), atol: 1e-6, what: "masked_whiten");
        TensorAssert.Close(MaskedStats.Whiten(v, m, shiftMean: false), JsonTensors.ToTensor(h["masked_whiten_no_shift"]!), atol: 1e-6, what: "masked_whiten no shift");
    }

    [Test]
    public void PostRolloutAndLossMatchTrl()
    {
        var golden = Fixtures.Json(Fixtures.Trl("kernels", "ppo.json"));
        var x = golden["inputs"]!;
        int cases = 0;
        foreach (var c in golden["cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            var name = c!["name"]!.GetValue<string>();
            var cfg = c["config"]!;
            var config = new PpoConfig
            {
                KlEstimator = cfg["kl_estimator"]!.GetValue<string>(), WhitenRewards = cfg["whiten_rewards"]!.GetValue<bool>(),
                MissingEosPenalty = cfg["missing_eos_penalty"] is { } p && p.GetValueKind() != System.Text.Json.JsonValueKind.Null ? JsonTensors.Number(p) : null,
                KlCoef = JsonTensors.Number(cfg["kl_coef"]!), Cliprange = JsonTensors.Number(cfg["cliprange"]!), CliprangeValue = JsonTensors.Number(cfg["cliprange_value"]!),
                VfCoef = JsonTensors.Number(cfg["vf_coef"]!), Gamma = JsonTensors.Number(cfg["gamma"]!), Lam = JsonTensors.Number(cfg["lam"]!),
            };
            var r = PpoAdvantages.Compute(JsonTensors.ToTensor(x["responses"]!, ScalarType.Int64), JsonTensors.ToTensor(x["logprobs"]!), JsonTensors.ToTensor(x["ref_logprobs"]!),
                JsonTensors.ToTensor(x["values"]!), JsonTensors.ToTensor(x["scores"]!), x["stop_token_id"]!.GetValue<long>(), x["pad_token_id"]!.GetValue<long>(),
                x["eos_token_id"]!.GetValue<long>(), config);
            TensorAssert.Equal(r.PostprocessedResponses, JsonTensors.ToTensor(c["postprocessed_response"]!, ScalarType.Int64), name + " postprocessed");
            TensorAssert.Equal(r.SequenceLengths, JsonTensors.ToTensor(c["sequence_lengths"]!, ScalarType.Int64), name + " sequence_lengths");
            TensorAssert.Equal(r.ContainEos, JsonTensors.ToTensor(c["contain_eos_token"]!, ScalarType.Bool), name + " contain_eos");
            TensorAssert.Equal(r.PaddingMask, JsonTensors.ToTensor(c["padding_mask"]!, ScalarType.Bool), name + " padding_mask");
            TensorAssert.Equal(r.PaddingMaskP1, JsonTensors.ToTensor(c["padding_mask_p1"]!, ScalarType.Bool), name + " padding_mask_p1");
            foreach (var (key, actual) in new[] { ("scores_after_penalty", r.Scores), ("logprobs_masked", r.Logprobs), ("ref_logprobs_masked", r.RefLogprobs),
                ("values_masked", r.Values), ("kl", r.Kl), ("non_score_reward", r.NonScoreReward), ("rewards", r.Rewards), ("advantages", r.Advantages), ("returns", r.Returns) })
                TensorAssert.Close(actual, JsonTensors.ToTensor(c[key]!), atol: 1e-6, rtol: 1e-5, what: $"{name} {key}");

            var newLp = JsonTensors.ToTensor(x["new_logprobs"]!).requires_grad_(true);
            var vpred = JsonTensors.ToTensor(x["vpred"]!).requires_grad_(true);
            var loss = PpoLoss.Compute(newLp, vpred, r.Logprobs, r.Values, r.Returns, r.Advantages, r.PaddingMask, r.PaddingMaskP1, config);
            loss.Loss.backward();
            foreach (var (key, actual) in new[] { ("loss", loss.Loss), ("pg_loss", loss.PolicyLoss), ("vf_loss", loss.ValueLoss), ("pg_clipfrac", loss.PolicyClipFrac),
                ("vf_clipfrac", loss.ValueClipFrac), ("approxkl", loss.ApproxKl), ("ratio_mean", loss.RatioMean) })
                TensorAssert.CloseRel(actual.item<float>(), JsonTensors.Number(c[key]!), 1e-5, $"{name} {key}", atol: 1e-7);
            TensorAssert.Close(newLp.grad!, JsonTensors.ToTensor(c["grad_new_logprobs"]!), atol: 1e-7, rtol: 1e-5, what: name + " grad new_logprobs");
            TensorAssert.Close(vpred.grad!, JsonTensors.ToTensor(c["grad_vpred"]!), atol: 1e-7, rtol: 1e-5, what: name + " grad vpred");
            TensorAssert.CloseRel(r.NonScoreReward.sum(1).mean().item<float>(), JsonTensors.Number(c["objective_non_score_reward"]!), 1e-5, name + " objective/non_score_reward");
            TensorAssert.CloseRel((r.NonScoreReward.sum(1).mean() + r.Scores.mean()).item<float>(), JsonTensors.Number(c["objective_rlhf_reward"]!), 1e-5, name + " objective/rlhf_reward");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(5));
    }

    [Test]
    public void MeanScoreRisesOnTheEmbeddedReversalTask()
    {
        var config = new PpoConfig
        {
            OutputDir = TrainerFixture.OutputDir(), PerDeviceTrainBatchSize = 32, GradientAccumulationSteps = 2, ResponseLength = 12, StopToken = "eos",
            Temperature = 1.0, LearningRate = 3e-3, MaxSteps = 400, LoggingSteps = 4, LrSchedulerType = "constant", Seed = 0,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Fixtures.EmbeddedDefault("tokenizer.json"))!);
        var modelConfig = ModelConfig.Load(Fixtures.EmbeddedDefault("config.json"));
        using var policy = CausalLM.FromConfig(modelConfig, seed: 0);
        using var reference = CausalLM.FromConfig(modelConfig, seed: 0);
        using var value = SequenceClassifier.FromConfig(modelConfig, numLabels: 1, seed: 0);
        var prompts = new PromptDatasetPreparer(tokenizer).Prepare(DatasetLoader.Read(Fixtures.EmbeddedDefault("prompts.jsonl"))).Examples;
        using var trainer = new PpoTrainer(policy, reference, value, config, prompts, tokenizer, new IRewardFunction[] { new SimilarityReward() });
        var state = trainer.Train();

        Assert.That(state.LogHistory[0].Keys, Is.SupersetOf(new[] { "loss", "objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
            "objective/scores", "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg", "val/clipfrac_avg", "policy/entropy_avg",
            "val/ratio", "val/num_eos_tokens", "episode" }));
        var scores = state.LogHistory.Select(r => r["objective/scores"]).ToList();
        double first = scores.Take(3).Average(), last = scores.Skip(scores.Count - 10).Average();
        TestContext.Out.WriteLine($"mean score: first 3 logs {first:F3}, last 10 logs {last:F3}; value loss {state.LogHistory[0]["loss/value_avg"]:G3} -> {state.LogHistory[^1]["loss/value_avg"]:G3}");
        // Each logged value is the mean of one 64-response rollout (noise about 0.015; 0.005 over ten logs): +0.06 is far outside it.
        Assert.That(last, Is.GreaterThan(first + 0.06), "the mean score should rise clearly");
    }
}
