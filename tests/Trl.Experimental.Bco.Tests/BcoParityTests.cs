using Trl.Bco;
using Trl.Data;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Bco.Tests;

/// <summary>Two steps of our BcoTrainer against TRL's BCOTrainer (fixtures/trl/trainers/bco, no UDM).</summary>
public class BcoParityTests
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", "bco");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new BcoConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0, Beta = 0.1,
        };
        var examples = new BcoDatasetPreparer(tokenizer, config).Prepare(fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1))).Examples;
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < examples.Count; i++)
        {
            Assert.That(examples[i].CompletionIds, Is.EqualTo(processed[i]!["completion_input_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} ids");
            Assert.That(examples[i].CompletionLabels, Is.EqualTo(processed[i]!["completion_labels"]!.AsArray().Select(x => x!.GetValue<long>())), $"row {i} labels");
        }
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var reference = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new BcoTrainer(model, reference, config, examples, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }

    [Test]
    public void RunningMomentsMergeBatchesLikeOneStream()
    {
        using var m = new RunningMoments();
        m.Update(tensor(new[] { 1.0, 2.0, 3.0 }));
        m.Update(tensor(new[] { 4.0, 5.0 }));
        Assert.That(m.Mean, Is.EqualTo(3.0).Within(1e-12));
        Assert.That(m.Var, Is.EqualTo(2.0).Within(1e-9));
        Assert.That(m.Std, Is.EqualTo(Math.Sqrt(2.5)).Within(1e-9));
        using var restored = new RunningMoments();
        restored.Load(m.ToJson());
        Assert.That(restored.Mean, Is.EqualTo(3.0).Within(1e-12));
        Assert.That(restored.Count, Is.EqualTo(m.Count));
    }
}
