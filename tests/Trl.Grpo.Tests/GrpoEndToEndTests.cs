using Trl.Data;
using Trl.Grpo;
using Trl.Rewards;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Grpo.Tests;

/// <summary>GRPO end to end on the embedded default (a tiny Qwen2 and the string-reversal prompts the `trl` tool
/// ships): sampling with the KV-cache generator, a dense similarity reward, group advantages and the DAPO loss must
/// raise the mean reward clearly within a few dozen steps on a CPU.</summary>
public class GrpoEndToEndTests
{
    static string Embedded(string file) => Fixtures.EmbeddedDefault(file);

    [Test]
    public void MeanRewardRisesOnTheEmbeddedReversalTask()
    {
        var output = TrainerFixture.OutputDir();
        var config = new GrpoConfig
        {
            OutputDir = output,
            NumGenerations = 8,
            PerDeviceTrainBatchSize = 64,
            MaxCompletionLength = 12,
            LearningRate = 3e-3,
            MaxSteps = 200,
            LoggingSteps = 1,
            WarmupSteps = 0,
            LrSchedulerType = "constant",
            Seed = 0,
            LogCompletions = true,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Embedded("tokenizer.json"))!);
        using var model = CausalLM.FromConfig(ModelConfig.Load(Embedded("config.json")), seed: 0);
        var prompts = new GrpoDatasetPreparer(tokenizer, config).Prepare(DatasetLoader.Read(Embedded("prompts.jsonl"))).Examples;
        using var trainer = new GrpoTrainer(model, null, config, prompts, tokenizer, new IRewardFunction[] { new SimilarityReward() });
        var state = trainer.Train();

        var rewards = state.LogHistory.Select(r => r["reward"]).ToList();
        TestContext.Out.WriteLine("reward every 20 steps: " + string.Join(", ", rewards.Where((_, i) => i % 20 == 0).Select(r => r.ToString("F3"))));
        Assert.That(state.LogHistory[0].Keys, Is.SupersetOf(new[] { "loss", "reward", "reward_std", "frac_reward_zero_std", "rewards/similarity_reward/mean",
            "completions/mean_length", "entropy", "clip_ratio/region_mean", "num_tokens" }));
        double first = rewards.Take(5).Average(), last = rewards.Skip(rewards.Count - 20).Average();
        TestContext.Out.WriteLine($"mean reward: first 5 steps {first:F3}, last 20 steps {last:F3}");
        // Step-to-step noise of a 64-completion mean is about 0.02: a rise of 0.08 is far outside it.
        Assert.That(last, Is.GreaterThan(first + 0.08), "mean reward should rise clearly");
        Assert.That(File.ReadLines(Path.Combine(output, "completions.jsonl")).Count(), Is.EqualTo(200 * 64));
    }
}
