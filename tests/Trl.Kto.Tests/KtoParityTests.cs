using Trl.Data;
using Trl.Kto;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Kto.Tests;

/// <summary>Two steps of our KtoTrainer against TRL's KTOTrainer (fixtures/trl/trainers/kto): tokenization, KL
/// pairs, sequential batches, losses, metrics, gradients and weights.</summary>
public class KtoParityTests
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", "kto");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new KtoConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0, Beta = 0.1,
        };
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1));
        var examples = new KtoDatasetPreparer(tokenizer, config).Prepare(rows).Examples;
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < examples.Count; i++)
        {
            IEnumerable<long> Ids(string k) => processed[i]![k]!.AsArray().Select(x => x!.GetValue<long>());
            Assert.That(examples[i].PromptIds, Is.EqualTo(Ids("prompt_ids")), $"row {i} prompt");
            Assert.That(examples[i].CompletionIds, Is.EqualTo(Ids("completion_ids")), $"row {i} completion");
            Assert.That(examples[i].KlCompletionIds, Is.EqualTo(Ids("KL_completion_ids")), $"row {i} KL completion");
        }
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var reference = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new KtoTrainer(model, reference, config, examples, padTokenId: 0);
        using (var scope = NewDisposeScope())
        {
            using var batch = trainer.Collator.Collate(examples, kl: false);
            TensorAssert.Equal(batch.InputIds, fx.Captured(0, "input_ids"), "input_ids");
            TensorAssert.Equal(batch.CompletionMask, fx.Captured(0, "completion_mask"), "completion_mask");
            using var kl = trainer.Collator.Collate(examples, kl: true);
            TensorAssert.Equal(kl.InputIds, fx.Captured(0, "KL_input_ids"), "KL_input_ids");
            TensorAssert.Equal(kl.CompletionMask, fx.Captured(0, "KL_completion_mask"), "KL_completion_mask");
        }
        fx.TrainAndAssert(trainer);
    }

    [Test]
    public void PreferencePairsAreUnpairedAndKtoNeedsBatchesOfTwo()
    {
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var row = new DatasetRow(new() { ["prompt"] = "the sky is", ["chosen"] = " blue .", ["rejected"] = " green ." }, "mem", 1);
        var examples = new KtoDatasetPreparer(tokenizer, new KtoConfig { PerDeviceTrainBatchSize = 2 }).Prepare(new[] { row }).Examples;
        Assert.That(examples.Select(e => e.Label), Is.EqualTo(new[] { true, false }));
        Assert.That(examples[0].KlCompletionIds, Is.EqualTo(examples[1].CompletionIds));
        Assert.That(() => new KtoConfig { PerDeviceTrainBatchSize = 1 }.Validate(), Throws.ArgumentException.With.Message.Contains("per_device_train_batch_size"));
    }

    [Test]
    public void PrecomputedReferenceLogProbsGiveTheSameTwoSteps()
    {
        // No reference model: the starting policy scores every completion and KL completion once, in one batch of
        // the whole dataset, and the recorded TRL run comes out the same.
        var fx = new TrainerFixture("trl", "kto");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new KtoConfig
        {
            OutputDir = TrainerFixture.OutputDir(), LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1,
            SaveSteps = 0, Beta = 0.1, PrecomputeRefLogProbs = true,
        };
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1));
        var examples = new KtoDatasetPreparer(tokenizer, config).Prepare(rows).Examples;
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new KtoTrainer(model, referenceModel: null, config, examples, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }
}
