using Trl.Data;
using Trl.Grpo;
using Trl.Rewards;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Grpo.Tests;

/// <summary>GRPO trainer mechanics on the tiny embedded model: generation reuse (num_iterations, steps_per_generation),
/// weighted and partial (null) rewards, the reference model's KL, and configuration errors.</summary>
public class GrpoTrainerTests
{
    static string Embedded(string file) => Fixtures.EmbeddedDefault(file);
    static ITextTokenizer Tokenizer() => TokenizerLoader.FromPretrained(Path.GetDirectoryName(Embedded("tokenizer.json"))!);
    static CausalLM Model() => CausalLM.FromConfig(ModelConfig.Load(Embedded("config.json")), seed: 0);

    static (Trl.Training.TrainerState State, string Output) Train(GrpoConfig config, IReadOnlyList<IRewardFunction> rewards, bool withReference = false)
    {
        var tokenizer = Tokenizer();
        using var model = Model();
        using var reference = withReference ? Model() : null;
        var prompts = new GrpoDatasetPreparer(tokenizer, config).Prepare(DatasetLoader.Read(Embedded("prompts.jsonl")).Take(64)).Examples;
        using var trainer = new GrpoTrainer(model, reference, config, prompts, tokenizer, rewards);
        return (trainer.Train(), config.OutputDir);
    }

    static GrpoConfig Small() => new()
    {
        OutputDir = TrainerFixture.OutputDir(), NumGenerations = 4, PerDeviceTrainBatchSize = 8, MaxCompletionLength = 6,
        LearningRate = 1e-3, MaxSteps = 4, LoggingSteps = 1, LogCompletions = true, Seed = 1,
    };

    [Test]
    public void OneGenerationFeedsNumIterationsTimesStepsPerGenerationMicroSteps()
    {
        var config = Small() with { NumIterations = 2, StepsPerGeneration = 2 };
        var (state, output) = Train(config, new IRewardFunction[] { new SimilarityReward() });
        // 4 steps × 1 micro-step each; one generation (16 completions) every 2 × 2 micro-steps → 1 generation.
        Assert.That(File.ReadLines(Path.Combine(output, "completions.jsonl")).Count(), Is.EqualTo(16));
        Assert.That(config.EffectiveGenerationBatchSize, Is.EqualTo(16));
        // Reused generations are optimised against kept old log-probs, so the ratio moves off 1 and may clip.
        Assert.That(state.LogHistory.Select(r => r.ContainsKey("reward")).ToArray(), Is.EqualTo(new[] { true, false, false, false }));
    }

    [Test]
    public void RewardIsTheWeightedSumAndNullScoresAreLeftOut()
    {
        var one = DelegateRewardFunction.PerCompletion("one", (_, _, _) => 1.0);
        var zero = DelegateRewardFunction.PerCompletion("zero", (_, _, _) => 0.0);
        var sometimes = DelegateRewardFunction.PerCompletion("sometimes", (_, _, i) => i % 2 == 0 ? 2.0 : null);
        var config = Small() with { MaxSteps = 1, RewardWeights = new[] { 0.7, 0.3, 0.0 } };
        var (state, _) = Train(config, new IRewardFunction[] { one, zero, sometimes });
        var log = state.LogHistory[0];
        Assert.That(log["reward"], Is.EqualTo(0.7).Within(1e-6));             // TRL's test: weights [0.7, 0.3], rewards [1, 0]
        Assert.That(log["rewards/sometimes/mean"], Is.EqualTo(2.0).Within(1e-6)); // nulls do not drag the mean down
        Assert.That(log["frac_reward_zero_std"], Is.EqualTo(1.0));
    }

    [Test]
    public void BetaAddsTheKlToTheReferenceModel()
    {
        var config = Small() with { Beta = 0.04, MaxSteps = 2, LossType = "grpo" };
        var (state, _) = Train(config, new IRewardFunction[] { new SimilarityReward() }, withReference: true);
        // The policy starts equal to the reference: the k3 KL is 0 at step 1 and positive once the policy moved.
        Assert.That(state.LogHistory[0]["kl"], Is.EqualTo(0.0).Within(1e-6));
        Assert.That(state.LogHistory[1]["kl"], Is.GreaterThan(0.0));
    }

    [Test]
    public void EvaluationSamplesEvalPromptsWithoutTouchingTraining()
    {
        var config = Small() with { MaxSteps = 2, EvalStrategy = "steps", EvalSteps = 2, PerDeviceEvalBatchSize = 3, NumGenerationsEval = 2, Beta = 0.04, LossType = "grpo" };
        var tokenizer = Tokenizer();
        using var model = Model();
        using var reference = Model();
        var all = new GrpoDatasetPreparer(tokenizer, config).Prepare(DatasetLoader.Read(Embedded("prompts.jsonl")).Take(70)).Examples;
        using var trainer = new GrpoTrainer(model, reference, config, all.Take(64).ToList(), tokenizer, new IRewardFunction[] { new SimilarityReward() })
        {
            EvalDataset = all.Skip(64).ToList(),
        };
        var state = trainer.Train();
        var eval = state.LogHistory.Single(r => r.ContainsKey("eval_loss"));
        Assert.That(eval.Keys, Is.SupersetOf(new[] { "eval_reward", "eval_reward_std", "eval_rewards/similarity_reward/mean", "eval_kl", "eval_completions/mean_length", "eval_entropy" }));
        Assert.That(eval["step"], Is.EqualTo(2));
        // Eval completions are not logged as training ones: 2 steps × (2 prompts × 4 completions) = 16 lines.
        Assert.That(File.ReadLines(Path.Combine(config.OutputDir, "completions.jsonl")).Count(), Is.EqualTo(16));
    }

    [Test]
    public void InvalidGeometryIsRejectedAtStart()
    {
        Assert.That(() => (Small() with { NumGenerations = 3 }).Validate(), Throws.ArgumentException.With.Message.Contains("divisible by num_generations"));
        Assert.That(() => (Small() with { NumGenerations = 1 }).Validate(), Throws.ArgumentException.With.Message.Contains("at least 2"));
        Assert.That(() => (Small() with { GenerationBatchSize = 16, StepsPerGeneration = 2 }).Validate(), Throws.ArgumentException);
        Assert.That(() => (Small() with { LossType = "ppo" }).Validate(), Throws.ArgumentException.With.Message.Contains("loss_type 'ppo'"));
    }

    [Test]
    public void BuiltInRewardsScoreAsTrlDoes()
    {
        var state = new Trl.Training.TrainerState();
        var columns = new[] { new System.Text.Json.Nodes.JsonObject { ["solution"] = "42" }, new System.Text.Json.Nodes.JsonObject { ["solution"] = "\\frac{1}{2}" }, new System.Text.Json.Nodes.JsonObject() };
        var inputs = new RewardInputs(new[] { "q", "q", "q" }, new[] { "so the answer is 42.", "\\boxed{\\frac{1}{2}}", "<think>hm</think> 7" },
            new IReadOnlyList<long>[] { new long[8], new long[10], new long[12] }, columns, state);
        Assert.That(new AccuracyReward().Score(inputs), Is.EqualTo(new double?[] { 1.0, 1.0, null }));
        Assert.That(new ThinkFormatReward().Score(inputs), Is.EqualTo(new double?[] { 0.0, 0.0, 1.0 }));
        Assert.That(new SoftOverlongPunishment(12, 4).Score(inputs), Is.EqualTo(new double?[] { 0.0, -0.5, -1.0 }));
        Assert.That(new SimilarityReward().Score(inputs)[2], Is.Null);
        Assert.That(SimilarityReward.EditDistance("kitten", "sitting"), Is.EqualTo(3));
    }
}
