using Trl.Data;
using Trl.Modeling;
using Trl.Rewards;
using Trl.Rloo;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Rloo.Tests;

/// <summary>RLOO end to end on the embedded default (tiny Qwen2, string-reversal prompts, similarity reward) with a
/// frozen reference and β = 0.05: the mean reward must rise clearly within the run, and the run must log TRL's metrics.</summary>
public class RlooEndToEndTests
{
    static string Embedded(string file) => Fixtures.EmbeddedDefault(file);

    [Test]
    public void MeanRewardRisesOnTheEmbeddedReversalTask()
    {
        var config = new RlooConfig
        {
            OutputDir = TrainerFixture.OutputDir(), NumGenerations = 8, PerDeviceTrainBatchSize = 64, MaxCompletionLength = 12,
            LearningRate = 3e-3, MaxSteps = 200, LoggingSteps = 1, LrSchedulerType = "constant", Seed = 0,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Embedded("tokenizer.json"))!);
        using var model = CausalLM.FromConfig(ModelConfig.Load(Embedded("config.json")), seed: 0);
        using var reference = CausalLM.FromConfig(ModelConfig.Load(Embedded("config.json")), seed: 0);
        var prompts = new RlooDatasetPreparer(tokenizer).Prepare(DatasetLoader.Read(Embedded("prompts.jsonl"))).Examples;
        using var trainer = new RlooTrainer(model, reference, config, prompts, tokenizer, new IRewardFunction[] { new SimilarityReward() });
        var state = trainer.Train();

        Assert.That(state.LogHistory[0].Keys, Is.SupersetOf(new[] { "loss", "reward", "reward_std", "frac_reward_zero_std", "kl", "entropy",
            "rewards/similarity_reward/mean", "completions/mean_length", "clip_ratio/low_mean", "clip_ratio/high_max", "clip_ratio/region_mean", "num_tokens" }));
        var rewards = state.LogHistory.Select(r => r["reward"]).ToList();
        double first = rewards.Take(5).Average(), last = rewards.Skip(rewards.Count - 20).Average();
        TestContext.Out.WriteLine($"mean reward: first 5 steps {first:F3}, last 20 steps {last:F3}; kl at the end {state.LogHistory[^1]["kl"]:G3}");
        Assert.That(last, Is.GreaterThan(first + 0.08), "mean reward should rise clearly");
        Assert.That(state.LogHistory[0]["kl"], Is.EqualTo(0).Within(1e-5), "the first generation is sampled from the reference's own weights");
    }
}
