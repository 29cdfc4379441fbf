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

    [Test]
    public void InvalidOptionsAreClearErrorsAtStart()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TrainingOptions { LrSchedulerType = "polynomial" }.Validate());
        Assert.That(ex!.Message, Does.Contain("polynomial"));
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
