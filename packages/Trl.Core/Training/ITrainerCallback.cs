using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>Hooks into the training loop (transformers' TrainerCallback). All methods are optional.</summary>
public interface ITrainerCallback
{
    /// <summary>After gradients are clipped, before the optimizer applies them.</summary>
    void OnBeforeOptimizerStep(TrainerState state, nn.Module model) { }

    /// <summary>After each optimizer step.</summary>
    void OnStepEnd(TrainerState state, nn.Module model) { }

    /// <summary>When a log record is produced.</summary>
    void OnLog(TrainerState state, LogRecord record) { }

    /// <summary>After a checkpoint is written.</summary>
    void OnSave(TrainerState state, string checkpointDir) { }

    /// <summary>When an online trainer shows sampled completions with their rewards (GRPO, RLOO).</summary>
    void OnSamples(TrainerState state, IReadOnlyList<Trl.Rewards.CompletionSample> samples) { }
}
