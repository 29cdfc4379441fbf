using Trl.Data;
using Trl.Generation;
using Trl.Modeling;
using Trl.NashMd;
using Trl.Rewards;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.NashMd.Tests;

/// <summary>Nash-MD against TRL: every nash_md case of fixtures/trl/kernels/online_dpo_xpo_nashmd.json (TRL's
/// NashMDTrainer._compute_losses: loss, score, KL, gradient), geometric-mixture sampling at the coefficient's ends,
/// and end to end on the embedded default: the policy's samples must score clearly higher by the end.</summary>
public class NashMdTests
{
    [Test]
    public void LossAndGradientMatchTrl()
    {
        var golden = Fixtures.Json(Fixtures.Trl("kernels", "online_dpo_xpo_nashmd.json"));
        var x = golden["nash_md_inputs"]!;
        int cases = 0;
        foreach (var c in golden["nash_md_cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            double beta = JsonTensors.Number(c!["beta"]!);
            var lp = JsonTensors.ToTensor(x["model_logprobs_model_data"]!).requires_grad_(true);
            var output = NashMdLoss.Compute(lp, JsonTensors.ToTensor(x["ref_logprobs_model_data"]!), JsonTensors.ToTensor(x["probability"]!), beta);
            output.Loss.backward();
            TensorAssert.CloseRel(output.Loss.item<float>(), JsonTensors.Number(c["loss"]!), 1e-5, $"beta {beta} loss");
            TensorAssert.Close(output.Score, JsonTensors.ToTensor(c["score"]!), atol: 1e-6, rtol: 1e-5, what: $"beta {beta} score");
            TensorAssert.Close(output.KlDivLog, JsonTensors.ToTensor(c["kl_div_log"]!), atol: 1e-6, rtol: 1e-5, what: $"beta {beta} kl");
            TensorAssert.Close(lp.grad!, JsonTensors.ToTensor(c["grad_model_logprobs_model_data"]!), atol: 1e-7, rtol: 1e-5, what: $"beta {beta} grad");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(2));
    }

    [Test]
    public void MixtureCoefficientZeroSamplesThePolicyAndOneTheReference()
    {
        var config = ModelConfig.Load(Fixtures.EmbeddedDefault("config.json"));
        using var policy = CausalLM.FromConfig(config, seed: 1);
        using var reference = CausalLM.FromConfig(config, seed: 2);
        var prompts = new[] { (IReadOnlyList<long>)new long[] { 5, 6, 7 }, new long[] { 8, 9 } };
        GenerationResult Sample(CausalLM model, GeometricMixture? mixture) => new TextGenerator(model).Generate(prompts,
            new GenerationOptions { MaxNewTokens = 8, DoSample = true, Seed = 3, Mixture = mixture });
        Assert.That(Sample(policy, new GeometricMixture(reference, 0.0)).CompletionIds, Is.EqualTo(Sample(policy, null).CompletionIds));
        Assert.That(Sample(policy, new GeometricMixture(reference, 1.0)).CompletionIds, Is.EqualTo(Sample(reference, null).CompletionIds));
        Assert.That(Sample(policy, new GeometricMixture(reference, 0.5)).CompletionIds, Is.Not.EqualTo(Sample(policy, null).CompletionIds));
    }

    [Test]
    public void PolicyScoresRiseOnTheEmbeddedReversalTask()
    {
        var config = new NashMdConfig
        {
            OutputDir = TrainerFixture.OutputDir(), PerDeviceTrainBatchSize = 64, MaxNewTokens = 12, Temperature = 1.0,
            LearningRate = 3e-3, MaxSteps = 300, LoggingSteps = 1, LrSchedulerType = "constant", Seed = 0,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Fixtures.EmbeddedDefault("tokenizer.json"))!);
        using var model = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 0);
        using var reference = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 0);
        var prompts = new NashMdDatasetPreparer(tokenizer).Prepare(DatasetLoader.Read(Fixtures.EmbeddedDefault("prompts.jsonl"))).Examples;
        using var trainer = new NashMdTrainer(model, reference, config, prompts, tokenizer, new IRewardFunction[] { DelegateRewardFunction.Scaled(new SimilarityReward(), 10) });
        var state = trainer.Train();

        Assert.That(state.LogHistory[0].Keys, Is.SupersetOf(new[] { "loss", "loss/score", "loss/kl", "logps/chosen", "logps/rejected", "rewards/chosen",
            "rewards/rejected", "rewards/probabilities", "objective/entropy", "rewards/margins", "rewards/accuracies", "val/model_contain_eos_token",
            "val/ref_contain_eos_token", "beta", "mixture_coef" }));
        foreach (var r in state.LogHistory.Where((_, i) => i % 30 == 0))
            TestContext.Out.WriteLine($"step {r["step"]}: loss {r["loss"]:G3} grad_norm {r["grad_norm"]:G3} score {r["loss/score"]:G3} kl {r["loss/kl"]:G3} P {r["rewards/probabilities"]:G3} chosen {r["rewards/chosen"]:G3} rejected {r["rewards/rejected"]:G3}");
        // Nash-MD turns score differences into a preference probability σ(Δ), made for reward-model logits: the [0, 1]
        // similarity is scaled by 10 to that range.
        var scores = state.LogHistory.Select(r => r["rewards/chosen"]).ToList();
        double first = scores.Take(5).Average(), last = scores.Skip(scores.Count - 20).Average();
        TestContext.Out.WriteLine($"policy reward: first 5 steps {first:F3}, last 20 steps {last:F3}; P(policy beats mixture) at the end {state.LogHistory[^1]["rewards/probabilities"]:F3}");
        Assert.That(last, Is.GreaterThan(first + 0.4), "the policy's reward should rise clearly");
    }
}
