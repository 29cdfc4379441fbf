using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Modeling;
using Trl.Prm;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Prm.Tests;

/// <summary>PRM has no TRL fixture: tokenization and the loss are checked against values computed by hand.</summary>
public class PrmTests
{
    static readonly ITextTokenizer Tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));

    static DatasetRow Row() => new(new JsonObject
    {
        ["prompt"] = "the cat sat on", ["completions"] = new JsonArray("the mat", "the dog"), ["labels"] = new JsonArray(true, false),
    }, "steps.jsonl", 1);

    [Test]
    public void StepLabelsSitOnEachStepsSeparatorToken()
    {
        // the=53 cat=13 sat=44 on=36 mat=33 dog=17 .=3 (tokenizer_encodings.json)
        var e = new PrmDatasetPreparer(Tokenizer, new PrmConfig { StepSeparator = "." }).Prepare(Row())[0];
        Assert.That(e.InputIds, Is.EqualTo(new long[] { 53, 13, 44, 36, 53, 33, 3, 53, 17, 3 }));
        Assert.That(e.Labels, Is.EqualTo(new long[] { -100, -100, -100, -100, -100, -100, 1, -100, -100, 0 }));
        var last = new PrmDatasetPreparer(Tokenizer, new PrmConfig { StepSeparator = ".", TrainOnLastStepOnly = true }).Prepare(Row())[0];
        Assert.That(last.Labels, Is.EqualTo(new long[] { -100, -100, -100, -100, -100, -100, -100, -100, -100, 0 }));
        var cut = new PrmDatasetPreparer(Tokenizer, new PrmConfig { StepSeparator = ".", MaxCompletionLength = 4 }).Prepare(Row())[0];
        Assert.That(cut.InputIds, Is.EqualTo(new long[] { 53, 13, 44, 36, 53, 33, 3, 53 }));
    }

    [Test]
    public void BadStepRowsNameTheField()
    {
        var row = new DatasetRow(new JsonObject { ["prompt"] = "p", ["completions"] = new JsonArray("a"), ["labels"] = new JsonArray(true, false) }, "steps.jsonl", 7);
        var ex = Assert.Throws<InvalidDataException>(() => new PrmDatasetPreparer(Tokenizer, new PrmConfig()).Prepare(row));
        Assert.That(ex!.Message, Does.Contain("steps.jsonl").And.Contain("row 7").And.Contain("'labels'"));
    }

    [Test]
    public void FirstStepLossIsTheHandComputedCrossEntropyAndTrainingLowersIt()
    {
        var example = new PrmDatasetPreparer(Tokenizer, new PrmConfig { StepSeparator = "." }).Prepare(Row())[0];
        using var model = TokenClassifier.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"), numLabels: 2, seed: 0);
        double expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var logits = model.Forward(tensor(example.InputIds.ToArray(), new long[] { 1, example.InputIds.Count })).to_type(ScalarType.Float64);
            double sum = 0; int n = 0;
            for (int t = 0; t < example.Labels.Count; t++)
            {
                if (example.Labels[t] < 0) continue;
                double a = logits[0, t, 0].item<double>(), b = logits[0, t, 1].item<double>();
                double logZ = Math.Max(a, b) + Math.Log(Math.Exp(a - Math.Max(a, b)) + Math.Exp(b - Math.Max(a, b)));
                sum += logZ - (example.Labels[t] == 1 ? b : a);
                n++;
            }
            expected = sum / n;
        }
        var config = new PrmConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-2, PerDeviceTrainBatchSize = 1, MaxSteps = 15, LoggingSteps = 1, SaveSteps = 0,
        };
        using var trainer = new PrmTrainer(model, config, new[] { example }, padTokenId: 0);
        var state = trainer.Train();
        TensorAssert.CloseRel(state.LogHistory[0]["loss"], expected, 1e-5, "step-1 loss");
        Assert.That(state.LogHistory[^1]["loss"], Is.LessThan(expected * 0.5));
        Assert.That(state.LogHistory[^1]["accuracy"], Is.EqualTo(1.0));
    }
}
