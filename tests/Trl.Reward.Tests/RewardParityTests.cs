using Trl.Data;
using Trl.Modeling;
using Trl.Reward;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Reward.Tests;

/// <summary>Two steps of our RewardTrainer against TRL's RewardTrainer on qwen2_tiny_seqcls (fixtures/trl/trainers/reward).</summary>
public class RewardParityTests
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", "reward");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new RewardConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
        };
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1)).ToList();
        var pairs = new RewardDatasetPreparer(tokenizer, config).Prepare(rows).Examples;
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < pairs.Count; i++)
        {
            Assert.That(pairs[i].ChosenIds, Is.EqualTo(processed[i]!["chosen_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} chosen");
            Assert.That(pairs[i].RejectedIds, Is.EqualTo(processed[i]!["rejected_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} rejected");
        }
        var collator = new RewardCollator(0);
        for (int step = 0; step < 2; step++)
        {
            using var batch = collator.Collate(Trainer<RewardExample>.EpochPermutation(4, 0, step).Select(i => pairs[(int)i]).ToList());
            TensorAssert.Equal(batch.InputIds, fx.Captured(step, "input_ids"), $"step {step} input_ids");
            TensorAssert.Equal(batch.AttentionMask, fx.Captured(step, "attention_mask"), $"step {step} attention_mask");
        }
        using var model = SequenceClassifier.FromPretrained(Fixtures.Trl("models", "qwen2_tiny_seqcls"));
        using var trainer = new RewardTrainer(model, config, pairs, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }

    [Test]
    public void MarginAndCenteringEnterTheLoss()
    {
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new RewardConfig { OutputDir = Path.GetTempPath(), CenterRewardsCoefficient = 0.01, MaxLength = 6 };
        var rows = new[]
        {
            new DatasetRow(new() { ["prompt"] = "the sky is", ["chosen"] = " blue .", ["rejected"] = " green .", ["margin"] = 0.5 }, "mem", 1),
            new DatasetRow(new() { ["prompt"] = "the sky is", ["chosen"] = " blue and clear and cold .", ["rejected"] = " green .", ["margin"] = 0.5 }, "mem", 2),
        };
        var preparer = new RewardDatasetPreparer(tokenizer, config);
        var prepared = preparer.Prepare(rows);
        var pairs = prepared.Examples;
        Assert.That(pairs, Has.Count.EqualTo(1), "the over-long row is dropped");
        Assert.That(prepared.DroppedRows, Is.EqualTo(1));
        Assert.That(pairs[0].Margin, Is.EqualTo(0.5));
    }

    [Test]
    public void ConversationalPairsAreRenderedWholeWithTheChatTemplate()
    {
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl2("tokenizer_chatml"));
        var golden = Fixtures.Json(Fixtures.Trl2("tokenizer_chatml_renderings.json"))["renderings"]!.AsArray();
        var chosenRendering = golden.First(r => r!["kind"]!.GetValue<string>() == "pref_prompt+chosen")!;
        var messages = chosenRendering["messages"]!.AsArray();
        var row = new DatasetRow(new()
        {
            ["prompt"] = new System.Text.Json.Nodes.JsonArray(messages[0]!.DeepClone()),
            ["chosen"] = new System.Text.Json.Nodes.JsonArray(messages[1]!.DeepClone()),
            ["rejected"] = System.Text.Json.Nodes.JsonNode.Parse("[{\"role\":\"assistant\",\"content\":\"no .\"}]"),
        }, "mem", 1);
        var pairs = new RewardDatasetPreparer(tokenizer, new RewardConfig()).Prepare(new[] { row }).Examples;
        Assert.That(pairs[0].ChosenIds, Is.EqualTo(chosenRendering["input_ids"]!.AsArray().Select(x => x!.GetValue<long>())));
    }
}
