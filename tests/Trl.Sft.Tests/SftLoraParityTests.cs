using Trl.Data;
using Trl.Modeling;
using Trl.Peft;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using static TorchSharp.torch;

namespace Trl.Sft.Tests;

/// <summary>SFT with LoRA against TRL + peft (fixtures/trl2/trainers/sft_lora): peft's initial adapter from the same
/// seed, only the 28 adapter tensors train (the base stays bit-identical), losses, metrics, step-1 gradients, adapter
/// values after each step, and the saved adapter folder.</summary>
public class SftLoraParityTests
{
    static readonly LoraConfig Lora = new()
    {
        R = 4, LoraAlpha = 8, LoraDropout = 0, TaskType = "CAUSAL_LM",
        TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    };

    /// <summary>Our parameter name as a PeftModel names it.</summary>
    internal static string PeftName(LoraAdapter adapter, string name)
    {
        if (adapter.OwnsParameter(name))
        {
            int dot = name.LastIndexOf('.');
            return "base_model.model." + name[..dot] + ".default" + name[dot..];
        }
        int last = name.LastIndexOf('.');
        var module = name[..last];
        return "base_model.model." + (adapter.TargetedModules.Contains(module) ? module + ".base_layer" + name[last..] : name);
    }

    [Test]
    public void TwoLoraStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl2", "sft_lora");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new SftConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
            PeftConfig = Lora,
        };
        var preparer = new SftDatasetPreparer(tokenizer, config);
        var examples = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => preparer.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1))).ToList();

        using var model = CausalLM.FromPretrained(Fixtures.Trl2("models", "qwen2_tiny"));
        var baseWeights = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        using var trainer = new SftTrainer(model, config, examples, tokenizer.Special.PadTokenId!.Value);
        var adapter = model.Adapter!;
        Assert.That(adapter, Is.Not.Null, "peft_config adds the adapter");

        var init = Safetensors.Load(Path.Combine(fx.Dir, "adapter_init.safetensors"));
        var trainable = model.TrainableParameters();
        Assert.That(trainable.Select(p => PeftName(adapter, p.Name)), Is.EquivalentTo(init.Keys), "exactly peft's 28 trainable tensors");
        foreach (var (name, p) in trainable) TensorAssert.Equal(p, init[PeftName(adapter, name)], $"initial {name} (seed-0 draws)");

        var steps = new List<Dictionary<string, Tensor>>();
        trainer.Callbacks.Add(new CaptureCallback { AfterStep = (_, m) => steps.Add(m.TrainableParameters().ToDictionary(p => PeftName(adapter, p.Name), p => p.Parameter.detach().clone())) });
        fx.TrainAndAssert(trainer, name => PeftName(adapter, name));

        for (int step = 1; step <= 2; step++)
        {
            var golden = Safetensors.Load(Path.Combine(fx.Dir, $"adapter_step{step}.safetensors"));
            foreach (var (k, t) in golden)
            {
                using var scope = NewDisposeScope();
                var close = (steps[step - 1][k] - t).abs().le(1e-5).to_type(ScalarType.Float64).mean().item<double>();
                Assert.That(close, Is.GreaterThanOrEqualTo(0.999), $"step {step} {k}: share of elements within 1e-5");
            }
        }
        foreach (var (name, p) in model.NamedParameters().Where(p => !adapter.OwnsParameter(p.Name)))
            TensorAssert.Equal(p, baseWeights[name], $"frozen {name}");

        var saved = Path.Combine(config.OutputDir, "final");
        model.SavePretrained(saved);
        var final = Safetensors.Load(Path.Combine(fx.Dir, "adapter_final", "adapter_model.safetensors"));
        var ours = Safetensors.Load(Path.Combine(saved, "adapter_model.safetensors"));
        Assert.That(ours.Keys.Order(), Is.EqualTo(final.Keys.Order()), "saved keys are peft's");
        foreach (var (k, t) in final) TensorAssert.Close(ours[k], t, atol: 1e-4, what: $"saved {k}");
        Assert.That(LoraAdapter.ReadConfig(saved) with { BaseModelNameOrPath = null }, Is.EqualTo(LoraAdapter.ReadConfig(Path.Combine(fx.Dir, "adapter_final")) with { BaseModelNameOrPath = null }).Using<LoraConfig>((a, b) =>
            a.R == b.R && a.LoraAlpha == b.LoraAlpha && a.TaskType == b.TaskType && a.TargetModules!.Order().SequenceEqual(b.TargetModules!.Order())));
    }
}
