using static TorchSharp.torch;

namespace Trl.Rloo;

/// <summary>One micro-batch of a generation batch: prompts, sampled completions, their sampling-time sequence log-probs
/// and advantages, kept alive across the optimizer steps it feeds. It owns its tensors.</summary>
public sealed class RlooRollout : IDisposable
{
    /// <summary>Creates a rollout that takes ownership of the tensors (they leave every dispose scope).</summary>
    public RlooRollout(Tensor promptIds, Tensor promptMask, Tensor completionIds, Tensor completionMask, Tensor oldLogps, Tensor advantages)
    {
        PromptIds = promptIds.DetachFromDisposeScope();
        PromptMask = promptMask.DetachFromDisposeScope();
        CompletionIds = completionIds.DetachFromDisposeScope();
        CompletionMask = completionMask.DetachFromDisposeScope();
        OldLogps = oldLogps.detach().DetachFromDisposeScope();
        Advantages = advantages.DetachFromDisposeScope();
    }

    /// <summary>[B, P] left-padded prompt ids.</summary>
    public Tensor PromptIds { get; }
    /// <summary>[B, P] 1 on prompt tokens.</summary>
    public Tensor PromptMask { get; }
    /// <summary>[B, C] right-padded completion ids.</summary>
    public Tensor CompletionIds { get; }
    /// <summary>[B, C] loss mask (0 on padding, and on truncated completions when masked).</summary>
    public Tensor CompletionMask { get; }
    /// <summary>[B] Σ_t of the sampling-time log-probs over the mask.</summary>
    public Tensor OldLogps { get; }
    /// <summary>[B] leave-one-out advantages.</summary>
    public Tensor Advantages { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in new[] { PromptIds, PromptMask, CompletionIds, CompletionMask, OldLogps, Advantages }) t.Dispose();
    }
}
