using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Sft.Tests;

/// <summary>How SFT normalises its loss when every token is a target (completion_only_loss false, or language-modeling
/// text): transformers' num_items_in_batch for causal LMs counts the labels after the shift, so a row's first token
/// never counts — over all micro-batches of the accumulated step. Checked by hand from the model's logits.</summary>
public class SftLossNormalizationTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void FullSequenceLossIsTheSumOverShiftedTargetsDividedByTheirCount(bool paddingFree)
    {
        var fx = new TrainerFixture("trl", "sft");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1)).ToList();
        var config = new SftConfig
        {
            OutputDir = TrainerFixture.OutputDir(), LearningRate = 1e-3, PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 2,
            MaxSteps = 1, Seed = 0, LoggingSteps = 1, SaveSteps = 0, CompletionOnlyLoss = false, PaddingFree = paddingFree,
            MaxLength = paddingFree ? null : 1024,
        };
        var preparer = new SftDatasetPreparer(tokenizer, config);
        var examples = rows.Select(preparer.Tokenize).ToList();
        var order = Trainer<SftExample>.EpochPermutation(examples.Count, 0, 0).Take(4).Select(i => examples[(int)i]).ToList();

        double lossSum = 0;
        long count = 0;
        using (var model0 = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny")))
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            foreach (var micro in order.Chunk(2))
                foreach (var e in micro)
                {
                    // Each document alone: its tokens 1.. are the targets of tokens 0..
                    var ids = tensor(e.InputIds.ToArray(), new long[] { 1, e.InputIds.Count });
                    var logp = model0.Forward(ids).to_type(ScalarType.Float64).log_softmax(-1).narrow(1, 0, e.InputIds.Count - 1);
                    var target = ids.narrow(1, 1, e.InputIds.Count - 1);
                    lossSum -= logp.gather(-1, target.unsqueeze(-1)).sum().item<double>();
                    count += e.InputIds.Count - 1;
                }
        }

        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new SftTrainer(model, config, examples, tokenizer.Special.PadTokenId!.Value);
        Assert.That(order.Chunk(2).Sum(m => trainer.Collator.CountLabels(m)), Is.EqualTo(count), "num_items_in_batch");
        var state = trainer.Train();
        TensorAssert.CloseRel(state.LogHistory[0]["loss"], lossSum / count, 1e-5, "step-1 loss");
    }
}
