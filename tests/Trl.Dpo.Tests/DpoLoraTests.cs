using Trl.Data;
using Trl.Dpo;
using Trl.Modeling;
using Trl.Peft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Dpo.Tests;

/// <summary>DPO with a LoRA adapter and no reference model uses the base model with the adapter disabled, as TRL does:
/// the run equals one with an explicit frozen copy of the base, with no second copy of the weights.</summary>
public class DpoLoraTests
{
    static List<LogRecord> Run(bool explicitReference)
    {
        var fx = new TrainerFixture("trl", "dpo_sigmoid");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var pairs = fx.Result["dataset_rows"]!.AsArray()
            .Select((r, i) => PreferenceRows.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1), tokenizer, tokenizer.Special.EosToken)).ToList();
        var config = new DpoConfig
        {
            OutputDir = TrainerFixture.OutputDir(), LearningRate = 1e-3, PerDeviceTrainBatchSize = 2, MaxSteps = 3, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
        };
        using var model = CausalLM.FromPretrained(Fixtures.Trl2("models", "qwen2_tiny"));
        // A trained adapter (peft's fixture, B ≠ 0): the policy differs from the base from the first step.
        LoraAdapter.Load(model, Path.Combine(Fixtures.Root, "trl2", "peft", "qwen2_tiny_lora", "adapter"), isTrainable: true);
        using var reference = explicitReference ? CausalLM.FromPretrained(Fixtures.Trl2("models", "qwen2_tiny")) : null;
        using var trainer = new DpoTrainer(model, reference, config, pairs, padTokenId: 0);
        var capture = new CaptureCallback();
        trainer.Callbacks.Add(capture);
        trainer.Train();
        return capture.Logs;
    }

    [Test]
    public void AdapterDisabledReferenceEqualsAFrozenCopyOfTheBase()
    {
        var disabled = Run(explicitReference: false);
        var copy = Run(explicitReference: true);
        Assert.That(disabled, Has.Count.EqualTo(3));
        Assert.That(Math.Abs(disabled[0]["rewards/margins"]) + Math.Abs(disabled[0]["rewards/chosen"]), Is.GreaterThan(1e-4), "the reference is not the policy");
        for (int s = 0; s < 3; s++)
            foreach (var (k, v) in copy[s])
                TensorAssert.CloseRel(disabled[s][k], v, 1e-6, $"step {s + 1} {k}", atol: 1e-7);
    }
}
