using System.Text.Json.Nodes;
using NUnit.Framework;
using Trl.Modeling;
using Trl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Testing;

/// <summary>One real TRL trainer run of fixtures/trl*/trainers/&lt;run&gt;: its result.json, captured gradients and
/// parameter statistics, with the comparisons MANIFEST.md prescribes.</summary>
public sealed class TrainerFixture
{
    /// <summary>Loads a run (set "trl" or "trl2").</summary>
    public TrainerFixture(string set, string run)
    {
        Dir = Path.Combine(Fixtures.Root, set, "trainers", run);
        Result = Fixtures.Json(Path.Combine(Dir, "result.json"));
        Args = Fixtures.Json(Path.Combine(Dir, "training_args.json"));
    }

    /// <summary>The run's folder.</summary>
    public string Dir { get; }
    /// <summary>result.json.</summary>
    public JsonNode Result { get; }
    /// <summary>training_args.json.</summary>
    public JsonNode Args { get; }

    /// <summary>The log record of a 1-based step.</summary>
    public JsonNode Log(int step) => Result["log_history"]!.AsArray().First(r => r!["step"]!.GetValue<int>() == step && r["loss"] is not null)!;

    /// <summary>Compares every metric TRL logged at a step (rel 1e-5 at step 1, 1e-4 after, as MANIFEST.md says).</summary>
    public void AssertLogMatches(int step, LogRecord ours, params string[] skip)
    {
        var golden = Log(step).AsObject();
        double rtol = step == 1 ? 1e-5 : 1e-4;
        foreach (var (key, value) in golden)
        {
            if (skip.Contains(key)) continue;
            Assert.That(ours.ContainsKey(key), Is.True, $"step {step}: metric '{key}' not logged");
            TensorAssert.CloseRel(ours[key], JsonTensors.Number(value!), rtol, $"step {step} {key}", atol: 1e-6);
        }
    }

    /// <summary>Gradients seen by the optimizer at step 1 (after clipping): rtol 1e-4, atol 1e-6.</summary>
    public void AssertStep1Gradients(IReadOnlyDictionary<string, Tensor> grads)
    {
        var golden = Safetensors.Load(Path.Combine(Dir, "grads_step1_after_clipping.safetensors"));
        Assert.That(grads.Keys.Order(), Is.EqualTo(golden.Keys.Order()), "gradient names");
        foreach (var (k, g) in golden) TensorAssert.Close(grads[k], g, atol: 1e-6, rtol: 1e-4, what: $"grad {k}");
    }

    /// <summary>Parameter sums and squared sums after a step ("step1"/"step2"), relative 1e-4 of the magnitude.</summary>
    public void AssertParamStats(string stage, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        var stats = Result["param_stats"]![stage]!.AsObject();
        foreach (var (name, p) in parameters)
        {
            var s = stats[name] ?? throw new AssertionException($"no stats for {name}");
            using var scope = NewDisposeScope();
            var d = p.detach().to_type(ScalarType.Float64);
            double absSum = s["abs_sum"]!.GetValue<double>();
            TensorAssert.CloseRel(d.sum().item<double>(), s["sum"]!.GetValue<double>(), 0, $"{stage} sum {name}", atol: 1e-4 * absSum);
            TensorAssert.CloseRel(d.pow(2).sum().item<double>(), s["sq_sum"]!.GetValue<double>(), 1e-4, $"{stage} sq_sum {name}");
        }
    }

    /// <summary>A fresh output folder for a run.</summary>
    public static string OutputDir() => Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Trains two steps and compares everything MANIFEST.md prescribes: every logged metric of both steps,
    /// step-1 gradients after clipping, and parameter statistics after each step.</summary>
    public void TrainAndAssert<TExample>(Trainer<TExample> trainer) => TrainAndAssert(trainer, name => name);

    /// <summary><see cref="TrainAndAssert{TExample}(Trainer{TExample})"/> for a run whose parameter names differ from ours
    /// (a PeftModel's <c>base_model.model.…lora_A.default.weight</c>): <paramref name="fixtureName"/> maps our name to the fixture's.</summary>
    public void TrainAndAssert<TExample>(Trainer<TExample> trainer, Func<string, string> fixtureName)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(fixtureName);
        var capture = new CaptureCallback
        {
            AfterStep = (step, m) => AssertParamStats($"step{step}", m.NamedParameters().Select(p => (fixtureName(p.Name), p.Parameter)).ToList()),
        };
        trainer.Callbacks.Add(capture);
        trainer.Train();
        AssertLogMatches(1, capture.Logs[0]);
        AssertLogMatches(2, capture.Logs[1]);
        AssertStep1Gradients(capture.Step1Gradients.ToDictionary(kv => fixtureName(kv.Key), kv => kv.Value));
    }

    /// <summary>A captured batch tensor of a 0-based step.</summary>
    public Tensor Captured(int step, string key) => JsonTensors.Captured(Result["captured_batches"]![step]![key]!);
}

/// <summary>Copies the gradients at the first optimizer step and the parameters' state after each step.</summary>
public sealed class CaptureCallback : ITrainerCallback
{
    /// <summary>Gradients (after clipping) at step 1, by parameter name.</summary>
    public Dictionary<string, Tensor> Step1Gradients { get; } = new();
    /// <summary>Records logged.</summary>
    public List<LogRecord> Logs { get; } = new();
    /// <summary>Called with (step, model) after each optimizer step.</summary>
    public Action<int, PretrainedModel>? AfterStep { get; init; }

    /// <inheritdoc />
    public void OnBeforeOptimizerStep(TrainerState state, nn.Module model)
    {
        if (state.GlobalStep != 0) return;
        foreach (var (name, p) in ((PretrainedModel)model).NamedParameters())
            if (p.grad is { } g) Step1Gradients[name] = g.detach().clone().DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void OnStepEnd(TrainerState state, nn.Module model) => AfterStep?.Invoke(state.GlobalStep, (PretrainedModel)model);

    /// <inheritdoc />
    public void OnLog(TrainerState state, LogRecord record) => Logs.Add(record);
}
