using Trl.Modeling;
using Trl.Testing;
using Trl.Training;

namespace Trl.Core.Tests.Training;

/// <summary>The shared loop: resume is bit-identical, a crash while checkpointing leaves no checkpoint, schedules
/// follow transformers' formulas, and steps leak no tensors.</summary>
public class TrainerLoopTests
{
    static CausalLM Model() => CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
    static string Temp() => Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));

    static TrainingOptions Options(string dir, int maxSteps, int saveSteps = 0) => new()
    {
        OutputDir = dir, LearningRate = 1e-3, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 2, MaxSteps = maxSteps,
        LoggingSteps = 1, SaveSteps = saveSteps, Seed = 3, WarmupSteps = 2, LrSchedulerType = "cosine", WeightDecay = 0.01,
    };

    [Test]
    public void TenStepsEqualFiveThenResumeFromCheckpointThenFive()
    {
        var data = TinyLmTrainer.Data(16, 1);
        var straightDir = Temp();
        using var straight = Model();
        using (var t = new TinyLmTrainer(straight, Options(straightDir, 10), data)) t.Train();

        var firstDir = Temp();
        using (var m = Model())
        using (var t = new TinyLmTrainer(m, Options(firstDir, 10, saveSteps: 5) with { }, data))
        {
            // Stop after step 5: a cancelled run saves a checkpoint, as a crash-safe stop would.
            using var cts = new CancellationTokenSource();
            t.Callbacks.Add(new StopAt(5, cts));
            t.Train(cts.Token);
        }
        Assert.That(Directory.Exists(Path.Combine(firstDir, "checkpoint-5")), Is.True);
        using var resumed = Model();
        using (var t = new TinyLmTrainer(resumed, Options(firstDir, 10) with { ResumeFromCheckpoint = Path.Combine(firstDir, "checkpoint-5") }, data))
        {
            var state = t.Train();
            Assert.That(state.GlobalStep, Is.EqualTo(10));
        }
        foreach (var ((name, a), (_, b)) in straight.NamedParameters().Zip(resumed.NamedParameters()))
            TensorAssert.Equal(b, a, name);
        var lossA = File.ReadAllLines(Path.Combine(straightDir, "metrics.jsonl"));
        var lossB = File.ReadAllLines(Path.Combine(firstDir, "metrics.jsonl"));
        Assert.That(lossB, Is.EqualTo(lossA), "the same losses, step for step");
    }

    [Test]
    public void ACrashWhileCheckpointingLeavesNoHalfCheckpoint()
    {
        var dir = Temp();
        using var m = Model();
        int saves = 0;
        using var t = new TinyLmTrainer(m, Options(dir, 6, saveSteps: 2), TinyLmTrainer.Data(8, 2))
        {
            FailWhileWriting = _ => { if (++saves == 2) throw new IOException("disk full (simulated)"); },
        };
        Assert.Throws<IOException>(() => t.Train());
        Assert.That(Directory.Exists(Path.Combine(dir, "checkpoint-2")), Is.True, "the earlier checkpoint is intact");
        Assert.That(File.Exists(Path.Combine(dir, "checkpoint-2", "trainer_state.json")), Is.True);
        Assert.That(Directory.Exists(Path.Combine(dir, "checkpoint-4")), Is.False, "no half-written checkpoint");
        Assert.That(Directory.GetDirectories(dir).Select(Path.GetFileName), Is.EqualTo(new[] { "checkpoint-2" }), "no temporary folder left behind");
    }

    [Test]
    public void SaveTotalLimitKeepsTheNewestCheckpoints()
    {
        var dir = Temp();
        using var m = Model();
        using (var t = new TinyLmTrainer(m, Options(dir, 7, saveSteps: 2) with { SaveTotalLimit = 2 }, TinyLmTrainer.Data(8, 2))) t.Train();
        Assert.That(Directory.GetDirectories(dir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "checkpoint-4", "checkpoint-6" }));
    }

    [Test]
    public void SchedulesFollowTransformersFormulas()
    {
        double[] Run(string type) => Enumerable.Range(0, 10).Select(s => Math.Round(LearningRateSchedules.Multiplier(type, s, 3, 10), 3)).ToArray();
        Assert.That(Run("cosine"), Is.EqualTo(new[] { 0, .333, .667, 1, .950, .812, .611, .389, .188, .050 }));
        Assert.That(Run("linear"), Is.EqualTo(new[] { 0, .333, .667, 1, .857, .714, .571, .429, .286, .143 }));
        Assert.That(Run("constant_with_warmup"), Is.EqualTo(new[] { 0, .333, .667, 1, 1, 1, 1, 1, 1, 1 }));
        Assert.That(Run("constant"), Is.All.EqualTo(1.0));
    }

    /// <summary>The rest of transformers' schedules with their lr_scheduler_kwargs; expected values worked out by hand
    /// from optimization.py's lambdas (W warm-up steps, T total steps, s the 0-based step).</summary>
    [Test]
    public void TheOtherSchedulesAndTheirKwargsFollowTransformers()
    {
        static Dictionary<string, string> K(params (string, string)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2);
        double M(string type, int s, int w, int t, Dictionary<string, string> kwargs, double lr = 1e-3) =>
            Math.Round(LearningRateSchedules.Multiplier(type, s, w, t, kwargs, lr), 6);
        // cosine_with_restarts, 2 cycles over T−W = 8 steps: back to 1 at the half, 0 past the end.
        Assert.That(new[] { 1, 4, 6, 8, 10 }.Select(s => M("cosine_with_restarts", s, 2, 10, K(("num_cycles", "2")))), Is.EqualTo(new[] { 0.5, 0.5, 1.0, 0.5, 0.0 }));
        // polynomial, power 2, lr_end 1e-7: ((lr − lr_end)·(1 − s/T)² + lr_end)/lr; past T: lr_end/lr.
        Assert.That(M("polynomial", 5, 0, 10, K(("power", "2"))), Is.EqualTo(0.250075));
        Assert.That(M("polynomial", 11, 0, 10, K()), Is.EqualTo(0.0001));
        // inverse_sqrt: 1/sqrt(s/W) after the warm-up.
        Assert.That(M("inverse_sqrt", 16, 4, 100, K()), Is.EqualTo(0.5));
        Assert.That(M("inverse_sqrt", 2, 4, 100, K()), Is.EqualTo(0.5));
        // cosine_with_min_lr: the cosine floor is min_lr_rate (or min_lr / learning_rate).
        Assert.That(M("cosine_with_min_lr", 5, 0, 10, K(("min_lr_rate", "0.1"))), Is.EqualTo(0.55));
        Assert.That(M("cosine_with_min_lr", 10, 0, 10, K(("min_lr", "1e-4"))), Is.EqualTo(0.1));
        // warmup_stable_decay: W=2, D=4 of T=10 → 4 stable steps, cosine decay to min_lr_ratio.
        var wsd = K(("num_decay_steps", "4"));
        Assert.That(new[] { 1, 3, 5, 6, 8, 10 }.Select(s => M("warmup_stable_decay", s, 2, 10, wsd)), Is.EqualTo(new[] { 0.5, 1, 1, 1, 0.5, 0 }));
        Assert.That(M("warmup_stable_decay", 8, 2, 10, K(("num_decay_steps", "4"), ("decay_type", "linear"), ("min_lr_ratio", "0.1"))), Is.EqualTo(0.55));
        // cosine with num_cycles 1: a full period, back to 1 at the end.
        Assert.That(M("cosine", 10, 0, 10, K(("num_cycles", "1"))), Is.EqualTo(1.0));
    }

    [Test]
    public void InvalidOptionsAreClearErrorsAtStart()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { LrSchedulerType = "reduce_lr_on_plateau" }.Validate());
        Assert.That(ex!.Message, Does.Contain("reduce_lr_on_plateau"));
        ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { LrSchedulerType = "cosine_with_min_lr" }.Validate());
        Assert.That(ex!.Message, Does.Contain("exactly one of min_lr or min_lr_rate"));
        ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { LrSchedulerType = "warmup_stable_decay" }.Validate());
        Assert.That(ex!.Message, Does.Contain("num_decay_steps"));
        ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { LrSchedulerType = "linear", LrSchedulerKwargs = new Dictionary<string, string> { ["num_cycles"] = "2" } }.Validate());
        Assert.That(ex!.Message, Does.Contain("'num_cycles' is not an argument of the linear schedule"));
        ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { ReportTo = ["tensorbord"] }.Validate());
        Assert.That(ex!.Message, Does.Contain("report_to 'tensorbord'"));
        ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { GradientAccumulationSteps = 0 }.Validate());
        Assert.That(ex!.Message, Does.Contain("gradient_accumulation_steps"));
    }

    [Test]
    public void StepsLeakNoTensors()
    {
        using var m = Model();
        var counts = new List<long>();
        using var t = new TinyLmTrainer(m, Options(Temp(), 60) with { LoggingSteps = 1000 }, TinyLmTrainer.Data(12, 4));
        t.Callbacks.Add(new Probe(counts));
        t.Train();
        // After warm-up (optimizer state is created on the first step) the live tensor count stays flat.
        Assert.That(counts.Skip(5).Distinct().Count(), Is.EqualTo(1), string.Join(",", counts));
    }

    sealed class StopAt(int step, CancellationTokenSource cts) : ITrainerCallback
    {
        public void OnStepEnd(TrainerState state, nn.Module model) { if (state.GlobalStep == step) cts.Cancel(); }
    }

    sealed class Probe(List<long> counts) : ITrainerCallback
    {
        public void OnStepEnd(TrainerState state, nn.Module model) => counts.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
