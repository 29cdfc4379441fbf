using Trl.Data;
using Trl.Modeling;
using Trl.Rewards;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Xpo;

namespace Trl.Xpo.Tests;

/// <summary>XPO against TRL: every xpo case of fixtures/trl/kernels/online_dpo_xpo_nashmd.json (TRL's
/// XPOTrainer._compute_losses: sigmoid/ipo × (β, α), DPO and exploration terms, gradients on both policy inputs), and
/// end to end on the embedded default: the policy's own samples must score clearly higher by the end.</summary>
public class XpoTests
{
    [Test]
    public void LossesAndGradientsMatchTrl()
    {
        var golden = Fixtures.Json(Fixtures.Trl("kernels", "online_dpo_xpo_nashmd.json"));
        var x = golden["xpo_inputs"]!;
        int cases = 0;
        foreach (var c in golden["xpo_cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            var lossType = c!["loss_type"]!.GetValue<string>();
            double beta = JsonTensors.Number(c["beta"]!), alpha = JsonTensors.Number(c["alpha"]!);
            var what = $"{lossType} beta {beta} alpha {alpha}";
            var piM = JsonTensors.ToTensor(x["model_logprobs_model_data"]!).requires_grad_(true);
            var piR = JsonTensors.ToTensor(x["model_logprobs_ref_data"]!).requires_grad_(true);
            var output = XpoLoss.Compute(piM, piR, JsonTensors.ToTensor(x["ref_logprobs_ref_data"]!), JsonTensors.ToTensor(x["ref_logprobs_model_data"]!),
                JsonTensors.ToTensor(x["chosen_mask"]!, ScalarType.Bool), beta, alpha, lossType);
            output.Loss.backward();
            TensorAssert.CloseRel(output.Loss.item<float>(), JsonTensors.Number(c["loss"]!), 1e-5, what + " loss");
            TensorAssert.Close(output.DpoLosses, JsonTensors.ToTensor(c["dpo_losses"]!), atol: 1e-6, rtol: 1e-5, what: what + " dpo");
            TensorAssert.Close(output.XpoLosses, JsonTensors.ToTensor(c["xpo_losses"]!), atol: 1e-6, rtol: 1e-5, what: what + " xpo");
            TensorAssert.Close(piM.grad!, JsonTensors.ToTensor(c["grad_model_logprobs_model_data"]!), atol: 1e-7, rtol: 1e-5, what: what + " grad model data");
            TensorAssert.Close(piR.grad!, JsonTensors.ToTensor(c["grad_model_logprobs_ref_data"]!), atol: 1e-7, rtol: 1e-5, what: what + " grad ref data");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(6));
    }

    [Test]
    public void PolicyScoresRiseOnTheEmbeddedReversalTask()
    {
        var config = new XpoConfig
        {
            OutputDir = TrainerFixture.OutputDir(), PerDeviceTrainBatchSize = 32, MaxNewTokens = 12, Temperature = 1.0,
            LearningRate = 1e-3, MaxSteps = 100, LoggingSteps = 1, LrSchedulerType = "constant", Seed = 0,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Fixtures.EmbeddedDefault("tokenizer.json"))!);
        using var model = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 0);
        using var reference = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 0);
        var prompts = new XpoDatasetPreparer(tokenizer).Prepare(DatasetLoader.Read(Fixtures.EmbeddedDefault("prompts.jsonl"))).Examples;
        using var trainer = new XpoTrainer(model, reference, config, prompts, tokenizer, new IRewardFunction[] { new SimilarityReward() });
        var state = trainer.Train();

        Assert.That(state.LogHistory[0].Keys, Is.SupersetOf(new[] { "loss", "loss/dpo", "loss/xpo", "objective/model_scores", "objective/ref_scores",
            "objective/scores_margin", "logps/chosen", "rewards/margins", "rewards/accuracies", "objective/kl", "objective/entropy",
            "val/model_contain_eos_token", "val/ref_contain_eos_token", "alpha", "beta" }));
        var scores = state.LogHistory.Select(r => r["objective/model_scores"]).ToList();
        double first = scores.Take(5).Average(), last = scores.Skip(scores.Count - 20).Average();
        double margin = state.LogHistory.Skip(scores.Count - 20).Average(r => r["objective/scores_margin"]);
        TestContext.Out.WriteLine($"policy reward: first 5 steps {first:F3}, last 20 steps {last:F3}; win margin over the reference {margin:F3}");
        Assert.That(last, Is.GreaterThan(first + 0.08), "the policy's reward should rise clearly");
        Assert.That(margin, Is.GreaterThan(0.05), "the policy should beat the reference's samples by the end");
    }
}
