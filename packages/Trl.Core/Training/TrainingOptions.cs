using Trl.Peft;

namespace Trl.Training;

/// <summary>The transformers/TRL training arguments people know, with their defaults. Names map one to one to the
/// snake_case fields (<c>learning_rate</c> ↔ <see cref="LearningRate"/>).</summary>
public record TrainingOptions
{
    /// <summary>Where checkpoints, metrics.jsonl and trainer_state.json go.</summary>
    public string OutputDir { get; init; } = "trainer_output";
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>Examples per micro-batch.</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary>Epochs when <see cref="MaxSteps"/> is not set.</summary>
    public double NumTrainEpochs { get; init; } = 3;
    /// <summary>Optimizer steps; &gt; 0 overrides the epochs.</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary>Fraction of steps spent warming up (used when WarmupSteps is 0).</summary>
    public double WarmupRatio { get; init; }
    /// <summary>Warm-up steps.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>linear, cosine, constant or constant_with_warmup.</summary>
    public string LrSchedulerType { get; init; } = "linear";
    /// <summary>AdamW decoupled weight decay (not applied to biases and norms).</summary>
    public double WeightDecay { get; init; }
    /// <summary>AdamW β1.</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary>AdamW β2.</summary>
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Gradient clipping threshold; 0 = off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Seed for initialisation and sampling.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Seed of the data order; defaults to <see cref="Seed"/>.</summary>
    public int? DataSeed { get; init; }
    /// <summary>Log every N optimizer steps.</summary>
    public int LoggingSteps { get; init; } = 10;
    /// <summary>Save a checkpoint every N steps; 0 = only at the end.</summary>
    public int SaveSteps { get; init; } = 500;
    /// <summary>When to write checkpoints: "steps" (every save_steps), "epoch" (at each epoch's end) or "no".</summary>
    public string SaveStrategy { get; init; } = "steps";
    /// <summary>Also log the first optimizer step.</summary>
    public bool LoggingFirstStep { get; init; }
    /// <summary>When to evaluate on the eval dataset: "no", "steps" (every eval_steps) or "epoch".</summary>
    public string EvalStrategy { get; init; } = "no";
    /// <summary>Evaluate every N optimizer steps (null = logging_steps, as transformers does).</summary>
    public int? EvalSteps { get; init; }
    /// <summary>Examples per evaluation batch.</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    /// <summary>Keep at most this many checkpoints.</summary>
    public int? SaveTotalLimit { get; init; }
    /// <summary>Arguments of the learning-rate schedule, as transformers' lr_scheduler_kwargs (num_cycles, lr_end,
    /// power, min_lr, min_lr_rate, num_decay_steps, num_stable_steps, warmup_type, decay_type, min_lr_ratio).</summary>
    public IReadOnlyDictionary<string, string> LrSchedulerKwargs { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
    /// <summary>Where metrics are reported besides metrics.jsonl (transformers' report_to): "tensorboard" writes event
    /// files under logging_dir, "all" every integration available here (TensorBoard), "none" nothing more. Other
    /// integrations (wandb, trackio, mlflow …) do not exist here: the trainer says so once and logs to metrics.jsonl.</summary>
    public IReadOnlyList<string> ReportTo { get; init; } = ["none"];
    /// <summary>TensorBoard's folder; null: output_dir/runs/&lt;MonDD_HH-MM-SS&gt;_&lt;host&gt;, as transformers names it.</summary>
    public string? LoggingDir { get; init; }
    /// <summary>A checkpoint folder to resume from.</summary>
    public string? ResumeFromCheckpoint { get; init; }
    /// <summary>Bad dataset rows: "error" stops with the file, row and field; "skip" logs, counts and skips them.</summary>
    public string BadRows { get; init; } = "error";

    /// <summary>Mixed precision as transformers' bf16=True: forward and backward in bfloat16 while AdamW keeps fp32 master
    /// weights and fp32 moments (log-softmax and losses stay fp32); the saved model keeps the loaded dtype. A model
    /// loaded in bfloat16 (dtype: bfloat16) trains in bfloat16 throughout, as in transformers.</summary>
    public bool Bf16 { get; init; }

    /// <summary>Train on the CPU even when CUDA is available (transformers' use_cpu).</summary>
    public bool UseCpu { get; init; }

    /// <summary>The device to train on ("cpu", "cuda", "cuda:1"); null: CUDA when available unless use_cpu, as
    /// transformers chooses. A CUDA device that is asked for and missing is an error.</summary>
    public string? Device { get; init; }

    /// <summary>Recompute each decoder layer's activations in backward instead of keeping them (less memory, about
    /// one more forward pass of compute). TRL's default is true; ours is false, since on a CPU memory is rarely the
    /// limit and the recompute costs time — set it for long sequences or large batches.</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>Train a LoRA adapter instead of the full model (TRL's peft_config; the CLI builds it from ModelConfig's
    /// use_peft/lora_* keys). Null: full fine-tuning.</summary>
    public LoraConfig? PeftConfig { get; init; }

    /// <summary>Throws a clear error for invalid values or combinations.</summary>
    public virtual void Validate()
    {
        void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(LearningRate >= 0, $"learning_rate must be ≥ 0 (got {LearningRate}).");
        Check(PerDeviceTrainBatchSize >= 1, $"per_device_train_batch_size must be ≥ 1 (got {PerDeviceTrainBatchSize}).");
        Check(GradientAccumulationSteps >= 1, $"gradient_accumulation_steps must be ≥ 1 (got {GradientAccumulationSteps}).");
        Check(MaxSteps > 0 || NumTrainEpochs > 0, "Set max_steps > 0 or num_train_epochs > 0.");
        Check(WarmupRatio is >= 0 and <= 1, $"warmup_ratio must be in [0, 1] (got {WarmupRatio}).");
        Check(WarmupSteps >= 0, $"warmup_steps must be ≥ 0 (got {WarmupSteps}).");
        Check(LearningRateSchedules.Names.Contains(LrSchedulerType), $"lr_scheduler_type '{LrSchedulerType}' is not supported ({string.Join(", ", LearningRateSchedules.Names)}).");
        Check(AdamBeta1 is >= 0 and < 1 && AdamBeta2 is >= 0 and < 1, "adam_beta1 and adam_beta2 must be in [0, 1).");
        Check(MaxGradNorm >= 0, $"max_grad_norm must be ≥ 0 (got {MaxGradNorm}).");
        Check(LoggingSteps >= 1, $"logging_steps must be ≥ 1 (got {LoggingSteps}).");
        Check(SaveSteps >= 0, $"save_steps must be ≥ 0 (got {SaveSteps}).");
        Check(SaveTotalLimit is null or >= 1, "save_total_limit must be ≥ 1 when set.");
        Check(EvalStrategy is "no" or "steps" or "epoch", $"eval_strategy must be no, steps or epoch (got '{EvalStrategy}').");
        Check(EvalSteps is null or >= 1, "eval_steps must be ≥ 1 when set.");
        Check(PerDeviceEvalBatchSize >= 1, $"per_device_eval_batch_size must be ≥ 1 (got {PerDeviceEvalBatchSize}).");
        Check(SaveStrategy is "steps" or "epoch" or "no", $"save_strategy must be steps, epoch or no (got '{SaveStrategy}').");
        Check(BadRows is "error" or "skip", $"bad_rows must be 'error' or 'skip' (got '{BadRows}').");
        foreach (var target in ReportTo)
            Check(Reporting.Known.Contains(target), $"report_to '{target}' is not an integration transformers knows ({string.Join(", ", Reporting.Known)}).");
        LearningRateSchedules.Validate(LrSchedulerType, LrSchedulerKwargs, LearningRate);
        PeftConfig?.Validate();
        // NaN or ±Infinity in any hyper-parameter (of this or a trainer's config) is an error naming the field.
        foreach (var p in GetType().GetProperties())
        {
            if (p.GetIndexParameters().Length > 0) continue;
            var value = p.GetValue(this);
            bool finite = value switch
            {
                double d => double.IsFinite(d),
                IEnumerable<double> list => list.All(double.IsFinite),
                _ => true,
            };
            var name = Trl.DependencyInjection.OptionsBinding.SnakeCase(p.Name);
            Check(finite, $"{name} must be a finite number (got {value switch { IEnumerable<double> l => string.Join(",", l), _ => value }}).");
            // Every length (max_length, max_prompt_length, max_completion_length …) is a positive token count when set.
            if (name.EndsWith("_length", StringComparison.Ordinal) && value is int n) Check(n >= 1, $"{name} must be ≥ 1 (got {n}).");
        }
    }
}
