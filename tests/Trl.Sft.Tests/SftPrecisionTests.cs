using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Sft.Tests;

/// <summary>bf16 as transformers means it, on the CPU with the code the GPU runs: mixed precision computes in bf16
/// while AdamW keeps fp32 master weights and moments (the loss falls as in fp32, the trained model comes back in fp32,
/// checkpoints hold the masters); a model loaded in bf16 trains and saves in bf16; the device follows use_cpu.</summary>
public class SftPrecisionTests
{
    static (List<SftExample> Examples, long Pad) Data()
    {
        var fx = new TrainerFixture("trl", "sft");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var preparer = new SftDatasetPreparer(tokenizer, new SftConfig());
        return (fx.Result["dataset_rows"]!.AsArray().Select((r, i) => preparer.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1))).ToList(), tokenizer.Special.PadTokenId!.Value);
    }

    static SftConfig Config(bool bf16) => new()
    {
        OutputDir = TrainerFixture.OutputDir(), LearningRate = 3e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 30, Seed = 0, LoggingSteps = 5, SaveSteps = 0,
        Bf16 = bf16, UseCpu = true,
    };

    [Test]
    public void MixedPrecisionKeepsFp32MastersAndLearnsLikeFp32()
    {
        var (examples, pad) = Data();
        double Train(bool bf16, out CausalLM trained, List<string>? checks = null)
        {
            trained = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
            using var trainer = new SftTrainer(trained, Config(bf16), examples, pad);
            var capture = new CaptureCallback
            {
                AfterStep = (step, m) =>
                {
                    if (checks is null || step != 1) return;
                    checks.Add($"param {m.NamedParameters()[0].Parameter.dtype}");
                    var state = trainerState(trainer);
                    checks.Add($"masters {state}");
                },
            };
            trainer.Callbacks.Add(capture);
            trainer.Train();
            return capture.Logs[^1]["loss"];
        }
        static string trainerState(SftTrainer t)
        {
            var dir = t.SaveCheckpoint();
            using var tensors = new Disposing(Safetensors.Load(Path.Combine(dir, "optimizer.safetensors")));
            var master = tensors.Values.First(kv => kv.Key.EndsWith(".master", StringComparison.Ordinal)).Value;
            var moment = tensors.Values.First(kv => kv.Key.EndsWith(".exp_avg", StringComparison.Ordinal)).Value;
            using var weights = new Disposing(Safetensors.Load(Path.Combine(dir, "model.safetensors")));
            return $"{master.dtype} {moment.dtype} saved {weights.Values.Values.First().dtype}";
        }

        double fp32 = Train(bf16: false, out var full);
        var checks = new List<string>();
        double bf16 = Train(bf16: true, out var mixed, checks);
        Assert.That(checks, Is.EqualTo(new[] { "param BFloat16", "masters Float32 Float32 saved Float32" }), "bf16 compute, fp32 masters and moments, checkpoints hold the masters");
        Assert.That(mixed.NamedParameters().Select(p => p.Parameter.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.Float32 }), "the trained model comes back in its loaded dtype");
        Assert.That(fp32, Is.LessThan(4.0), "fp32 learns the four rows");
        Assert.That(bf16, Is.EqualTo(fp32).Within(0.1 * fp32 + 0.05), "bf16 mixed precision follows fp32");

        var saved = Path.Combine(TrainerFixture.OutputDir(), "model");
        mixed.SavePretrained(saved);
        Assert.That(ModelConfig.Load(Path.Combine(saved, "config.json")).Raw["dtype"]!.GetValue<string>(), Is.EqualTo("float32"), "as transformers saves a float32 model trained with bf16: true");
        full.Dispose();
        mixed.Dispose();
    }

    [Test]
    public void AModelLoadedInBf16TrainsAndSavesInBf16()
    {
        var (examples, pad) = Data();
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"), ScalarType.BFloat16);
        var config = Config(bf16: false) with { MaxSteps = 10 };
        using var trainer = new SftTrainer(model, config, examples, pad);
        var capture = new CaptureCallback();
        trainer.Callbacks.Add(capture);
        trainer.Train();
        Assert.That(capture.Logs[^1]["loss"], Is.LessThan(capture.Logs[0]["loss"]));
        var saved = Path.Combine(config.OutputDir, "model");
        model.SavePretrained(saved);
        Assert.That(ModelConfig.Load(Path.Combine(saved, "config.json")).Raw["dtype"]!.GetValue<string>(), Is.EqualTo("bfloat16"));
    }

    [Test]
    public void TheDeviceIsChosenAsTransformersChoosesIt()
    {
        Assert.That(TrainingDevice.Choose(new TrainingOptions { UseCpu = true }).Device.type, Is.EqualTo(TorchSharp.DeviceType.CPU));
        Assert.That(TrainingDevice.Choose(new TrainingOptions { Device = "cpu" }).Reason, Is.EqualTo("device: cpu"));
        var (auto, reason) = TrainingDevice.Choose(new TrainingOptions());
        Assert.That(auto.type, Is.EqualTo(cuda.is_available() ? TorchSharp.DeviceType.CUDA : TorchSharp.DeviceType.CPU), reason);
        if (!cuda.is_available())
            Assert.That(() => TrainingDevice.Choose(new TrainingOptions { Device = "cuda" }), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("CUDA is not available"));
        Assert.That(() => TrainingDevice.Choose(new TrainingOptions { Device = "tpu:7" }), Throws.ArgumentException);
    }

    sealed class Disposing(Dictionary<string, Tensor> values) : IDisposable
    {
        public Dictionary<string, Tensor> Values { get; } = values;
        public void Dispose() { foreach (var t in Values.Values) t.Dispose(); }
    }
}
