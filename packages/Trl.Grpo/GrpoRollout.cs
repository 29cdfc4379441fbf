using static TorchSharp.torch;

namespace Trl.Grpo;

/// <summary>One micro-batch of a generation batch: prompts, sampled completions and their advantages (plus the old and
/// reference log-probs when needed), kept alive across the optimizer steps it feeds. It owns its tensors.</summary>
public sealed class GrpoRollout : IDisposable
{
    /// <summary>Creates a rollout that takes ownership of the tensors (they leave every dispose scope).</summary>
    public GrpoRollout(Tensor promptIds, Tensor promptMask, Tensor completionIds, Tensor completionMask, Tensor advantages, double numItemsInBatch)
    {
        PromptIds = promptIds.DetachFromDisposeScope();
        PromptMask = promptMask.DetachFromDisposeScope();
        CompletionIds = completionIds.DetachFromDisposeScope();
        CompletionMask = completionMask.DetachFromDisposeScope();
        Advantages = advantages.DetachFromDisposeScope();
        NumItemsInBatch = numItemsInBatch;
    }

    /// <summary>[B, P] left-padded prompt ids.</summary>
    public Tensor PromptIds { get; }
    /// <summary>[B, P] 1 on prompt tokens.</summary>
    public Tensor PromptMask { get; }
    /// <summary>[B, C] right-padded completion ids.</summary>
    public Tensor CompletionIds { get; }
    /// <summary>[B, C] loss mask over the completion (0 on padding, and on truncated completions when masked).</summary>
    public Tensor CompletionMask { get; }
    /// <summary>[B] advantages.</summary>
    public Tensor Advantages { get; }
    /// <summary>The loss-mask sum of the whole generation batch (the dapo/cispo normaliser).</summary>
    public double NumItemsInBatch { get; }

    Tensor? _old, _ref;

    /// <summary>[B, C] log-probs at sampling time, when the generation is reused for several optimizer steps.</summary>
    public Tensor? OldLogps { get => _old; set { _old?.Dispose(); _old = value?.detach().DetachFromDisposeScope(); } }
    /// <summary>[B, C] reference log-probs (beta ≠ 0).</summary>
    public Tensor? RefLogps { get => _ref; set { _ref?.Dispose(); _ref = value?.detach().DetachFromDisposeScope(); } }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in new[] { PromptIds, PromptMask, CompletionIds, CompletionMask, Advantages, _old, _ref }) t?.Dispose();
    }
}
