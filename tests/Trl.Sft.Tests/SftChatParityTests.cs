using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Sft.Tests;

/// <summary>Conversational SFT with assistant_only_loss and the ChatML template against TRL
/// (fixtures/trl2/trainers/sft_chatml_assistant_only).</summary>
public class SftChatParityTests
{
    [Test]
    public void AssistantOnlyChatMlTwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl2", "sft_chatml_assistant_only");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl2("tokenizer_chatml"));
        var config = new SftConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
            AssistantOnlyLoss = true,
        };
        var preparer = new SftDatasetPreparer(tokenizer, config);
        var examples = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => preparer.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1))).ToList();
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < examples.Count; i++)
        {
            Assert.That(examples[i].InputIds, Is.EqualTo(processed[i]!["input_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} ids");
            var labels = examples[i].InputIds.Select((id, j) => examples[i].AssistantMask![j] == 1 ? id : -100L);
            Assert.That(labels, Is.EqualTo(processed[i]!["labels"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} labels");
        }
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new SftTrainer(model, config, examples, tokenizer.Special.PadTokenId!.Value);
        for (int step = 0; step < 2; step++)
        {
            using var batch = trainer.Collator.Collate(Trainer<SftExample>.EpochPermutation(4, 0, step).Select(i => examples[(int)i]).ToList());
            TensorAssert.Equal(batch.InputIds, fx.Captured(step, "input_ids"), $"step {step} input_ids");
            TensorAssert.Equal(batch.Labels, fx.Captured(step, "labels"), $"step {step} labels");
        }
        fx.TrainAndAssert(trainer);
    }

    [Test]
    public void AssistantOnlyLossWithoutGenerationMarkersIsAClearError()
    {
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var preparer = new SftDatasetPreparer(tokenizer, new SftConfig { AssistantOnlyLoss = true });
        var row = new DatasetRow(new() { ["messages"] = System.Text.Json.Nodes.JsonNode.Parse("[{\"role\":\"user\",\"content\":\"hi\"}]") }, "chat.jsonl", 3);
        var ex = Assert.Throws<InvalidDataException>(() => preparer.Tokenize(row));
        Assert.That(ex!.Message, Does.Contain("chat.jsonl").And.Contain("row 3").And.Contain("chat_template"));
    }
}
