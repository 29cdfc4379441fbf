using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using Trl.Modeling;
using Trl.Peft;
using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>The training loop every trainer shares (what transformers' Trainer is to TRL). A trainer plugs in how a
/// micro-batch of examples becomes a loss and metrics (<see cref="ComputeLoss"/>); this class owns data order,
/// accumulation, clipping, AdamW, the schedule, logging, checkpoints and resuming. Each optimizer step runs in one
/// dispose scope and only numbers leave it.</summary>
public abstract class Trainer<TExample> : IDisposable
{
    readonly IReadOnlyList<TExample> _train;
    readonly ILogger _logger;
    AdamW? _optimizer;
    readonly MetricWindow _window = new();
    Tensor? _lossWindow;
    int _stepsInWindow;

    /// <summary>Creates a trainer over a model and tokenized training examples.</summary>
    protected Trainer(PretrainedModel model, TrainingOptions options, IReadOnlyList<TExample> trainDataset, ILogger? logger = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _train = trainDataset ?? throw new ArgumentNullException(nameof(trainDataset));
        _logger = logger ?? TrainingLog.Default;
        options.Validate();
        if (_train.Count == 0) throw new ArgumentException("The training dataset is empty.", nameof(trainDataset));
        Device = TrainingDevice.Choose(options).Device;
        if (!TrainingDevice.Same(model.Device, Device)) model.to(Device);
        if (options.PeftConfig is { } peft)
        {
            if (model.Adapter is not null)
                throw new ArgumentException("The model already has an adapter and a peft_config was given: pass one or the other.", nameof(options));
            LoraAdapter.Add(model, peft, seed: options.Seed);
        }
    }

    /// <summary>The model being trained.</summary>
    public PretrainedModel Model { get; }
    /// <summary>Where training runs (see <see cref="TrainingDevice"/>): the model, references, batches and optimizer
    /// state all live there.</summary>
    public Device Device { get; }
    /// <summary>The options.</summary>
    public TrainingOptions Options { get; }
    /// <summary>Progress and log history.</summary>
    public TrainerState State { get; private set; } = new();
    /// <summary>User hooks.</summary>
    public IList<ITrainerCallback> Callbacks { get; } = new List<ITrainerCallback>();
    /// <summary>Examples evaluated at eval_strategy's points (and by <see cref="Evaluate"/>); null = no evaluation.</summary>
    public IReadOnlyList<TExample>? EvalDataset { get; set; }

    /// <summary>Loss and metrics for one micro-batch. The loss is back-propagated as returned: normalise it with
    /// <paramref name="context"/> (by num_items_in_batch, or by the accumulation steps).</summary>
    protected abstract LossOutput ComputeLoss(IReadOnlyList<TExample> microBatch, StepContext context);

    /// <summary>Loss items of a micro-batch (e.g. label tokens), summed over a step into num_items_in_batch.</summary>
    protected virtual long CountLossItems(IReadOnlyList<TExample> microBatch) => microBatch.Count;

    /// <summary>Tokens of a micro-batch counted into TRL's cumulative num_tokens metric.</summary>
    protected virtual long CountTokens(IReadOnlyList<TExample> microBatch) => 0;

    /// <summary>Adds metrics derived from the window's averages (e.g. a margin of two averages) before a record is logged.</summary>
    protected virtual void CompleteLogRecord(LogRecord record) { }

    /// <summary>Visit examples in dataset order every epoch instead of a seeded shuffle (TRL's
    /// train_sampling_strategy="sequential", which KTO needs for its KL pairs).</summary>
    protected virtual bool SequentialSampling => false;

    /// <summary>What the optimizer updates, by name: the model's trainable parameters (a trainer that trains a second
    /// model with it, as PPO's value model, adds that one's under a prefix).</summary>
    protected virtual IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> OptimizedParameters() => Model.TrainableParameters();

    /// <summary>The global gradient-norm clip (0 = none); max_grad_norm unless a trainer never clips (PPO).</summary>
    protected virtual double MaxGradNorm => Options.MaxGradNorm;

    /// <summary>Optimizer steps of the run: max_steps, else num_train_epochs × <paramref name="stepsPerEpoch"/> (PPO also
    /// reads total_episodes).</summary>
    protected virtual int TotalSteps(int stepsPerEpoch) =>
        Options.MaxSteps > 0 ? Options.MaxSteps : (int)Math.Ceiling(Options.NumTrainEpochs * stepsPerEpoch);

    /// <summary>Where the learning-rate schedule (lr_scheduler_type with its warm-up) stands at optimizer step
    /// <paramref name="step"/> of <paramref name="maxSteps"/>: the step itself by default; PPO advances it once per rollout.</summary>
    protected virtual (int Step, int Total) ScheduleProgress(int step, int maxSteps) => (step, maxSteps);

    double LearningRateMultiplier(int step, int maxSteps)
    {
        var (at, total) = ScheduleProgress(step, maxSteps);
        return LearningRateSchedules.Multiplier(Options.LrSchedulerType, at, LearningRateSchedules.WarmupSteps(Options, total), total, Options.LrSchedulerKwargs, Options.LearningRate);
    }

    /// <summary>Parameters exempt from weight decay (transformers: biases and norm weights).</summary>
    protected virtual bool IsDecayed(string name) => !name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains("norm", StringComparison.Ordinal);

    /// <summary>Runs training to the end (or until cancelled, then saves a checkpoint) and returns the state. With
    /// report_to tensorboard the run also writes TensorBoard event files (see <see cref="Reporting"/>).</summary>
    public TrainerState Train(CancellationToken cancellationToken = default)
    {
        foreach (var integration in Reporting.Unavailable(Options))
            _logger.LogWarning("{Notice}", Reporting.UnavailableNotice(integration, Options.OutputDir));
        using var tensorBoard = Reporting.WritesTensorBoard(Options) ? new TensorBoardCallback(Reporting.TensorBoardDir(Options)) : null;
        if (tensorBoard is not null)
        {
            tensorBoard.WriteArguments(Options);
            Callbacks.Add(tensorBoard);
        }
        try { return TrainLoop(cancellationToken); }
        finally { if (tensorBoard is not null) Callbacks.Remove(tensorBoard); }
    }

    /// <summary>Shows sampled completions to the callbacks (TensorBoard's text table, the console).</summary>
    protected void ReportSamples(IReadOnlyList<Trl.Rewards.CompletionSample> samples)
    {
        foreach (var c in Callbacks) c.OnSamples(State, samples);
    }

    TrainerState TrainLoop(CancellationToken cancellationToken)
    {
        int microPerEpoch = MicroBatchesPerEpoch(_train.Count);
        int stepsPerEpoch = Math.Max(1, microPerEpoch / Options.GradientAccumulationSteps);
        int maxSteps = TotalSteps(stepsPerEpoch);
        // bf16 mixed precision: fp32 masters are taken from the loaded weights before the compute copy is cast, so no
        // bf16 rounding ever reaches the master weights. A model loaded in bf16 trains in bf16 (no masters).
        var masters = Options.Bf16 ? Model.TrainableParameters().Where(p => p.Parameter.dtype == ScalarType.Float32)
            .Select(p => (p.Name, (Tensor)p.Parameter.detach().clone())).ToList() : [];
        if (Options.Bf16) Model.to(ScalarType.BFloat16);
        Model.Decoder.GradientCheckpointing = Options.GradientCheckpointing;
        Model.train();
        var named = OptimizedParameters();
        _optimizer = new AdamW(named.Select(p => (p.Name, p.Parameter, IsDecayed(p.Name))).ToList(),
            Options.AdamBeta1, Options.AdamBeta2, Options.AdamEpsilon, Options.WeightDecay);
        _optimizer.SetMasters(masters);
        foreach (var (_, t) in masters) t.Dispose();
        _originalDtype = masters.Count > 0 ? ScalarType.Float32 : null;
        Model.MasterWeights = _optimizer.Masters.Count > 0 ? _optimizer.Masters : null;
        State = new TrainerState { MaxSteps = maxSteps, StepsPerEpoch = stepsPerEpoch };
        CheckpointFolders.RemoveLeftovers(Options.OutputDir);
        var resume = ResolveCheckpoint(Options.ResumeFromCheckpoint);
        if (resume is not null) Resume(resume);
        Directory.CreateDirectory(Options.OutputDir);
        // A fresh run starts a new metrics.jsonl; a resumed one continues it from the checkpoint's step.
        var metricsPath = Path.Combine(Options.OutputDir, "metrics.jsonl");
        if (resume is null && File.Exists(metricsPath)) File.Delete(metricsPath);
        else if (resume is not null) TruncateMetrics(metricsPath, State.GlobalStep);

        using var batches = EnumerateMicroBatches(_train).GetEnumerator();
        // Skip what the resumed run already consumed: the data order is a pure function of the seed.
        for (long i = 0; i < (long)State.GlobalStep * Options.GradientAccumulationSteps; i++) batches.MoveNext();

        while (State.GlobalStep < maxSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning("Training cancelled at step {Step}; saving a checkpoint.", State.GlobalStep);
                SaveCheckpoint();
                return State;
            }
            var micro = new List<IReadOnlyList<TExample>>();
            for (int k = 0; k < Options.GradientAccumulationSteps && batches.MoveNext(); k++) micro.Add(batches.Current);
            double lr = Options.LearningRate * LearningRateMultiplier(State.GlobalStep, maxSteps);
            Tensor gradNormTensor;
            try { gradNormTensor = RunOptimizerStep(micro, lr, named); }
            catch (NumericalInstabilityException e)
            {
                // The failed step was not applied: keep the last good state where a resume finds it.
                if (State.GlobalStep > 0) e.Checkpoint = SaveCheckpoint();
                throw;
            }
            using var gradNorm = gradNormTensor;
            State.GlobalStep++;
            State.Epoch = (double)State.GlobalStep / stepsPerEpoch;
            foreach (var c in Callbacks) c.OnStepEnd(State, Model);
            if (State.GlobalStep % Options.LoggingSteps == 0 || State.GlobalStep == maxSteps || (Options.LoggingFirstStep && State.GlobalStep == 1)) Log(lr, gradNorm);
            if (ShouldEvaluate(State.GlobalStep, stepsPerEpoch, maxSteps)) Evaluate();
            if (ShouldSave(State.GlobalStep, stepsPerEpoch) && State.GlobalStep < maxSteps) SaveCheckpoint();
        }
        WriteTrainerState(Options.OutputDir);
        RestoreMasterPrecision();
        return State;
    }

    ScalarType? _originalDtype;

    /// <summary>The generator state a checkpoint carries (transformers: rng_state.pth).</summary>
    const string RngStateFile = "rng_state.safetensors";

    /// <summary>After mixed-precision training the model returns to its loaded dtype holding the fp32 master weights,
    /// so what is saved or used next is exactly what was trained (as transformers' fp32 model under bf16 autocast).</summary>
    void RestoreMasterPrecision()
    {
        if (_originalDtype is not ScalarType dtype || _optimizer is null) return;
        Model.to(dtype);
        using (no_grad())
            foreach (var (name, p) in Model.TrainableParameters())
                if (_optimizer.Masters.TryGetValue(name, out var master)) p.copy_(master);
        Model.MasterWeights = null;
        _originalDtype = null;
    }

    /// <summary>One optimizer step over its micro-batches: losses, metrics and the gradient norm stay on the device;
    /// the only host read is one finiteness check before the update (a NaN/Inf loss or gradient never reaches the
    /// weights). Returns the pre-clip gradient norm as a 0-d tensor owned by the caller.</summary>
    Tensor RunOptimizerStep(List<IReadOnlyList<TExample>> micro, double lr, IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> named)
    {
        using var scope = NewDisposeScope();
        long items = micro.Sum(CountLossItems);
        Tensor? stepLoss = null;
        for (int k = 0; k < micro.Count; k++)
        {
            var mb = micro[k];
            State.NumTokens += CountTokens(mb);
            var context = new StepContext(micro.Count, items) { GlobalStep = State.GlobalStep, MicroStep = k };
            var output = ComputeLoss(mb, context);
            output.Loss.backward();
            var detached = output.Loss.detach().to_type(ScalarType.Float64);
            stepLoss = stepLoss is null ? detached : stepLoss + detached;
            _window.Add(output);
        }
        var norm = GradientClipping.ClipByGlobalNorm(named.Select(p => p.Parameter), MaxGradNorm);
        if (!(stepLoss!.isfinite().all().item<bool>() && norm.isfinite().item<bool>()))
        {
            ZeroGrad(named);
            throw new NumericalInstabilityException(State.GlobalStep + 1, stepLoss.cpu().item<double>(), norm.cpu().to_type(ScalarType.Float64).item<double>());
        }
        foreach (var c in Callbacks) c.OnBeforeOptimizerStep(State, Model);
        _optimizer!.Step(lr);
        ZeroGrad(named);
        _stepsInWindow++;
        var total = _lossWindow is null ? stepLoss : _lossWindow + stepLoss;
        _lossWindow?.Dispose();
        _lossWindow = total.DetachFromDisposeScope();
        return norm.DetachFromDisposeScope();
    }

    // The model's gradients and those of any other optimized parameters (PPO's value model).
    void ZeroGrad(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> named)
    {
        Model.zero_grad();
        using var noGrad = no_grad();
        foreach (var (_, p) in named) p.grad?.zero_();
    }

    void Log(double lr, Tensor gradNorm)
    {
        var record = new LogRecord
        {
            ["loss"] = (_lossWindow?.cpu().item<double>() ?? 0) / Math.Max(1, _stepsInWindow),
            ["grad_norm"] = gradNorm.cpu().to_type(ScalarType.Float64).item<double>(),
            ["learning_rate"] = lr,
        };
        foreach (var (k, v) in _window.Drain()) record[k] = v;
        if (State.NumTokens > 0) record["num_tokens"] = State.NumTokens;
        CompleteLogRecord(record);
        record["epoch"] = State.Epoch;
        record["step"] = State.GlobalStep;
        _lossWindow?.Dispose();
        _lossWindow = null;
        _stepsInWindow = 0;
        State.LogHistory.Add(record);
        AppendMetrics(record);
        _logger.LogInformation("step {Step}/{Max}: {Metrics}", State.GlobalStep, State.MaxSteps,
            string.Join(", ", record.Where(kv => kv.Key is not ("step" or "epoch")).Select(kv => $"{kv.Key}={kv.Value.ToString("G5", CultureInfo.InvariantCulture)}")));
        foreach (var c in Callbacks) c.OnLog(State, record);
    }

    bool ShouldEvaluate(int step, int stepsPerEpoch, int maxSteps) => EvalDataset is not null && Options.EvalStrategy switch
    {
        "steps" => step % (Options.EvalSteps ?? Options.LoggingSteps) == 0,
        "epoch" => step % stepsPerEpoch == 0 || step == maxSteps,
        _ => false,
    };

    /// <summary>Loss and metrics over <see cref="EvalDataset"/> in order, without gradients and in eval mode, logged
    /// (and returned) as transformers does: eval_loss and eval_&lt;metric&gt;, each averaged over the examples.</summary>
    public LogRecord Evaluate()
    {
        var data = EvalDataset ?? throw new InvalidOperationException("Set EvalDataset before evaluating.");
        if (data.Count == 0) throw new InvalidOperationException("The eval dataset is empty.");
        var sums = new Dictionary<string, (double Sum, double Weight)>(StringComparer.Ordinal);
        void Add(string key, double value, double weight)
        {
            if (double.IsNaN(value)) return;
            var (sum, w) = sums.TryGetValue(key, out var acc) ? acc : (0, 0);
            sums[key] = (sum + value * weight, w + weight);
        }
        using (Model.EvaluationMode())
        using (no_grad())
        {
            for (int start = 0; start < data.Count; start += Options.PerDeviceEvalBatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = data.Skip(start).Take(Options.PerDeviceEvalBatchSize).ToArray();
                var output = ComputeLoss(batch, new StepContext(1, CountLossItems(batch)) { Evaluating = true, GlobalStep = State.GlobalStep });
                Add("eval_loss", output.Loss.to_type(ScalarType.Float64).cpu().item<double>(), batch.Length);
                foreach (var (k, v) in output.Metrics) Add("eval_" + k, v.to_type(ScalarType.Float64).cpu().item<double>(), batch.Length);
            }
        }
        var record = new LogRecord();
        foreach (var (k, (sum, weight)) in sums) record[k] = sum / weight;
        record["epoch"] = State.Epoch;
        record["step"] = State.GlobalStep;
        State.LogHistory.Add(record);
        Directory.CreateDirectory(Options.OutputDir);
        AppendMetrics(record);
        _logger.LogInformation("eval at step {Step}: {Metrics}", State.GlobalStep, string.Join(", ", record.Select(kv => $"{kv.Key}={kv.Value.ToString("G5", CultureInfo.InvariantCulture)}")));
        foreach (var c in Callbacks) c.OnLog(State, record);
        return record;
    }

    void AppendMetrics(LogRecord record) =>
        File.AppendAllText(Path.Combine(Options.OutputDir, "metrics.jsonl"), JsonSerializer.Serialize(record.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? (object)kv.Value : kv.Value.ToString(CultureInfo.InvariantCulture))) + "\n");

    bool ShouldSave(int step, int stepsPerEpoch) => Options.SaveStrategy switch
    {
        "steps" => Options.SaveSteps > 0 && step % Options.SaveSteps == 0,
        "epoch" => step % stepsPerEpoch == 0,
        _ => false,
    };

    /// <summary>Micro-batches in one epoch (transformers: ceil(examples / per_device_train_batch_size)).</summary>
    protected virtual int MicroBatchesPerEpoch(int exampleCount) =>
        (exampleCount + Options.PerDeviceTrainBatchSize - 1) / Options.PerDeviceTrainBatchSize;

    /// <summary>The endless stream of micro-batches, epoch after epoch. The default is transformers' order: a seeded
    /// permutation per epoch (or dataset order with <see cref="SequentialSampling"/>). It must be a pure function of
    /// the seed, since resuming skips what a run already consumed.</summary>
    protected virtual IEnumerable<IReadOnlyList<TExample>> EnumerateMicroBatches(IReadOnlyList<TExample> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        int seed = Options.DataSeed ?? Options.Seed;
        int microPerEpoch = MicroBatchesPerEpoch(train.Count);
        for (int epoch = 0; ; epoch++)
        {
            var order = SequentialSampling ? Enumerable.Range(0, train.Count).Select(i => (long)i).ToArray() : EpochPermutation(train.Count, seed, epoch);
            for (int b = 0; b < microPerEpoch; b++)
                yield return order.Skip(b * Options.PerDeviceTrainBatchSize).Take(Options.PerDeviceTrainBatchSize).Select(i => train[(int)i]).ToArray();
        }
    }

    /// <summary>The order in which an epoch visits the examples: the permutation transformers/accelerate draw,
    /// randperm(n) from a generator seeded with seed + epoch, so data order matches TRL run for run.</summary>
    public static long[] EpochPermutation(int count, int seed, int epoch)
    {
        using var g = new Generator((ulong)(seed + epoch));
        using var perm = randperm(count, generator: g);
        return perm.data<long>().ToArray();
    }

    /// <summary>Writes checkpoint-N (model, optimizer, trainer_state.json) atomically: into a temporary folder that is
    /// renamed when complete, so a crash never leaves a half-written checkpoint.</summary>
    public string SaveCheckpoint()
    {
        var final = CheckpointFolders.Save(Options.OutputDir, State.GlobalStep, WriteCheckpointFiles);
        PruneCheckpoints();
        foreach (var c in Callbacks) c.OnSave(State, final);
        return final;
    }

    /// <summary>resume_from_checkpoint as transformers reads it: a folder, or "true" for the newest complete checkpoint
    /// in output_dir (an error when there is none); null/"false" start afresh.</summary>
    string? ResolveCheckpoint(string? value)
    {
        if (value is null || value.Length == 0 || string.Equals(value, "false", StringComparison.OrdinalIgnoreCase)) return null;
        if (!string.Equals(value, "true", StringComparison.OrdinalIgnoreCase)) return value;
        return CheckpointFolders.Latest(Options.OutputDir)
            ?? throw new DirectoryNotFoundException($"resume_from_checkpoint: no complete checkpoint in {Options.OutputDir}.");
    }

    /// <summary>Drops metrics.jsonl lines logged after <paramref name="step"/> (a resumed run logs them again).</summary>
    static void TruncateMetrics(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadAllLines(path).Where(line =>
        {
            try { return JsonDocument.Parse(line).RootElement.TryGetProperty("step", out var s) && s.ValueKind == JsonValueKind.Number && s.GetDouble() <= step; }
            catch (JsonException) { return false; }
        }).ToList();
        PretrainedModel.WriteTextAtomically(path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    /// <summary>Restores what a trainer keeps beyond the model, optimizer and trainer state (running baselines, sampling
    /// state …) from a checkpoint folder written by <see cref="WriteCheckpointFiles"/>.</summary>
    protected virtual void ReadCheckpointFiles(string directory) { }

    /// <summary>Writes a checkpoint's files (model, optimizer state, trainer_state.json) into a folder.</summary>
    protected virtual void WriteCheckpointFiles(string directory)
    {
        Model.SavePretrained(directory);
        if (_optimizer is not null) Safetensors.Save(Path.Combine(directory, "optimizer.safetensors"), _optimizer.StateTensors(),
            new Dictionary<string, string> { ["step"] = _optimizer.StepCount.ToString(CultureInfo.InvariantCulture) });
        // The global generator drives dropout (LoRA's included): saved as transformers saves rng_state.pth.
        using (var rng = get_rng_state())
            Safetensors.Save(Path.Combine(directory, RngStateFile), new Dictionary<string, Tensor> { ["cpu"] = rng });
        WriteTrainerState(directory);
    }

    void PruneCheckpoints()
    {
        if (Options.SaveTotalLimit is not int limit) return;
        foreach (var (dir, _) in CheckpointFolders.List(Options.OutputDir).Skip(limit)) CheckpointFolders.Delete(dir);
    }

    void WriteTrainerState(string dir) =>
        PretrainedModel.WriteTextAtomically(Path.Combine(dir, "trainer_state.json"), State.ToJson(Options));

    void Resume(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"resume_from_checkpoint: {dir} does not exist.");
        var statePath = Path.Combine(dir, "trainer_state.json");
        if (!File.Exists(statePath)) throw new FileNotFoundException($"resume_from_checkpoint: {dir} has no trainer_state.json (not a checkpoint?).", statePath);
        if (CheckpointFolders.Problem(dir) is { } problem) throw new InvalidDataException($"resume_from_checkpoint: {problem}.");
        var saved = TrainerState.FromJson(File.ReadAllText(statePath), statePath);
        Model.LoadWeightsFromFolder(dir);
        var optPath = Path.Combine(dir, "optimizer.safetensors");
        if (File.Exists(optPath))
        {
            var header = Safetensors.ReadHeader(optPath);
            var tensors = Safetensors.Load(optPath);
            try { _optimizer!.LoadState(tensors, long.Parse(header.Metadata["step"], CultureInfo.InvariantCulture)); }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
        }
        var rngPath = Path.Combine(dir, RngStateFile);
        if (File.Exists(rngPath))
        {
            var rng = Safetensors.Load(rngPath);
            try { set_rng_state(rng["cpu"]); }
            catch (KeyNotFoundException) { throw new InvalidDataException($"{rngPath}: no 'cpu' generator state."); }
            finally { foreach (var t in rng.Values) t.Dispose(); }
        }
        State.GlobalStep = saved.GlobalStep;
        State.Epoch = saved.Epoch;
        State.NumTokens = saved.NumTokens;
        State.LogHistory.AddRange(saved.LogHistory);
        ReadCheckpointFiles(dir);
        _logger.LogInformation("Resumed from {Dir} at step {Step}.", dir, saved.GlobalStep);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the optimizer state; trainers holding native tensors release them too.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        _optimizer?.Dispose();
        _window.Dispose();
        _lossWindow?.Dispose();
    }
}
