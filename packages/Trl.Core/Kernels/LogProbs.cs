using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Per-token log-probabilities and entropies from logits (TRL's <c>selective_log_softmax</c> and
/// <c>entropy_from_logits</c>) as batched tensor work, so backward stays linear in the size of the logits. When
/// only hidden states exist, <see cref="LmHeadLogProbs"/> computes the same from them without the full logits.</summary>
public static class LogProbs
{
    /// <summary>Log-probability of <paramref name="index"/> under softmax(<paramref name="logits"/>) along the last
    /// dimension. <paramref name="index"/> has the logits' leading shape, or one extra trailing dimension of K ids.
    /// float32/float64: gather minus logsumexp (TRL's formulation); half precision: log-softmax in that dtype, then
    /// gather (TRL's more accurate path there).</summary>
    public static Tensor SelectiveLogSoftmax(Tensor logits, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(index);
        bool squeeze = index.dim() == logits.dim() - 1;
        if (!squeeze && index.dim() != logits.dim())
            throw new ArgumentException($"index must have rank {logits.dim() - 1} or {logits.dim()}, got {index.dim()}.", nameof(index));

        using var scope = NewDisposeScope();
        var ids = squeeze ? index.unsqueeze(-1) : index;
        var result = logits.dtype is ScalarType.Float32 or ScalarType.Float64
            ? logits.gather(-1, ids) - logits.logsumexp(-1, keepdim: true)
            : logits.log_softmax(-1).gather(-1, ids);
        if (squeeze) result = result.squeeze(-1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Entropy (nats) of softmax(logits) along the last dimension. Without gradients it works
    /// <paramref name="chunkSize"/> rows at a time, so only one chunk's log-softmax is alive at once.</summary>
    public static Tensor EntropyFromLogits(Tensor logits, int chunkSize = 128)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        using var scope = NewDisposeScope();
        if (is_grad_enabled() && logits.requires_grad)
        {
            var lp = logits.log_softmax(-1);
            return (-(lp.exp() * lp).sum(-1)).MoveToOuterDisposeScope();
        }
        var leading = logits.shape[..^1];
        long vocab = logits.shape[^1];
        var flat = logits.reshape(-1, vocab);
        var all = empty(flat.shape[0], dtype: logits.dtype, device: logits.device);
        using (no_grad())
        {
            for (long start = 0; start < flat.shape[0]; start += chunkSize)
            {
                long len = Math.Min(chunkSize, flat.shape[0] - start);
                using var inner = NewDisposeScope();
                var logps = flat.narrow(0, start, len).log_softmax(-1);
                all.narrow(0, start, len).copy_(-(logps.exp() * logps).sum(-1));
            }
        }
        return all.reshape(leading).MoveToOuterDisposeScope();
    }
}
