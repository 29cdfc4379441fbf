using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Sft.Tests;

/// <summary>Evaluation: the eval loss of a batch at the starting weights is the loss TRL logged for that same batch at
/// step 1 (fixtures/trl/trainers/sft_nll), and eval_strategy "steps" logs eval_* records every eval_steps.</summary>
public class SftEvaluationTests
{
    static (SftConfig Config, List<SftExample> Examples, TrainerFixture Fx) Setup(Func<SftConfig, SftConfig>? change = null)
    {
        var fx = new TrainerFixture("trl", "sft_nll");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new SftConfig
        {
            OutputDir = TrainerFixture.OutputDir(), LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, PerDeviceEvalBatchSize = 4,
            MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0, LossType = "nll",
        };
        config = change?.Invoke(config) ?? config;
        var preparer = new SftDatasetPreparer(tokenizer, config);
        var examples = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => preparer.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1))).ToList();
        return (config, examples, fx);
    }

    [Test]
    public void EvalLossOfTheFirstBatchEqualsTrlsStepOneLoss()
    {
        var (config, examples, fx) = Setup();
        var firstBatch = Trainer<SftExample>.EpochPermutation(examples.Count, 0, 0).Take(4).Select(i => examples[(int)i]).ToList();
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new SftTrainer(model, config, examples, padTokenId: 0) { EvalDataset = firstBatch };
        var record = trainer.Evaluate();
        var step1 = fx.Result["log_history"]!.AsArray()[0]!;
        TensorAssert.CloseRel(record["eval_loss"], JsonTensors.Number(step1["loss"]!), 1e-5, "eval_loss");
        TensorAssert.CloseRel(record["eval_mean_token_accuracy"], JsonTensors.Number(step1["mean_token_accuracy"]!), 1e-5, "eval_mean_token_accuracy");
        Assert.That(model.training, Is.True, "evaluation restores train mode");
        Assert.That(model.parameters().All(p => p.grad is null), Is.True, "evaluation computes no gradients");
    }

    [Test]
    public void EvalStrategyStepsLogsEvalRecordsEveryEvalSteps()
    {
        var (config, examples, _) = Setup(c => c with { MaxSteps = 4, EvalStrategy = "steps", EvalSteps = 2 });
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new SftTrainer(model, config, examples, padTokenId: 0) { EvalDataset = examples.Take(3).ToList() };
        var state = trainer.Train();
        var evals = state.LogHistory.Where(r => r.ContainsKey("eval_loss")).ToList();
        Assert.That(evals.Select(r => r["step"]), Is.EqualTo(new double[] { 2, 4 }));
        Assert.That(evals[1]["eval_loss"], Is.LessThan(evals[0]["eval_loss"]), "training on the same rows lowers their loss");
        var lines = File.ReadAllLines(Path.Combine(config.OutputDir, "metrics.jsonl"));
        Assert.That(lines.Count(l => l.Contains("\"eval_loss\"", StringComparison.Ordinal)), Is.EqualTo(2));
    }
}
