using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Sft.Tests;

/// <summary>Two optimizer steps of our SftTrainer against the real TRL SFTTrainer on the same tiny Qwen2, tokenizer
/// and rows (fixtures/trl/trainers/sft*): tokenization, collation, data order, losses, every logged metric,
/// step-1 gradients after clipping and the parameters after each step.</summary>
[TestFixture("sft", "chunked_nll")]
[TestFixture("sft_nll", "nll")]
public class SftParityTests(string run, string lossType)
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", run);
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1)).ToList();
        var config = new SftConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
            LossType = lossType,
        };

        // Tokenization equals TRL's processed dataset.
        var preparer = new SftDatasetPreparer(tokenizer, config);
        var examples = rows.Select(preparer.Tokenize).ToList();
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < examples.Count; i++)
        {
            Assert.That(examples[i].InputIds, Is.EqualTo(processed[i]!["input_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} input_ids");
            var labels = examples[i].InputIds.Select((id, j) => examples[i].CompletionMask![j] == 1 ? id : -100L);
            Assert.That(labels, Is.EqualTo(processed[i]!["labels"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} labels");
        }

        // Data order equals the HF sampler's, and our collation equals the captured batches.
        for (int step = 0; step < 2; step++)
        {
            var order = Trainer<SftExample>.EpochPermutation(examples.Count, 0, step);
            using var model0 = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
            using var t0 = new SftTrainer(model0, config, examples, tokenizer.Special.PadTokenId!.Value);
            using var batch = t0.Collator.Collate(order.Select(i => examples[(int)i]).ToList());
            TensorAssert.Equal(batch.InputIds, fx.Captured(step, "input_ids"), $"step {step} input_ids");
            TensorAssert.Equal(batch.AttentionMask, fx.Captured(step, "attention_mask"), $"step {step} attention_mask");
            TensorAssert.Equal(batch.Labels, fx.Captured(step, "labels"), $"step {step} labels");
        }

        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new SftTrainer(model, config, examples, tokenizer.Special.PadTokenId!.Value);
        fx.TrainAndAssert(trainer);
        Assert.That(File.ReadAllLines(Path.Combine(config.OutputDir, "metrics.jsonl")), Has.Length.EqualTo(2));
    }
}
