using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Per-token log-probabilities and entropies from logits, without materialising a full
/// log-softmax of the whole batch (TRL's <c>selective_log_softmax</c> and <c>entropy_from_logits</c>).</summary>
public static class LogProbs
{
    /// <summary>Log-probability of <paramref name="index"/> under softmax(<paramref name="logits"/>) along the last
    /// dimension. <paramref name="index"/> has the logits' leading shape, or one extra trailing dimension of K ids.
    /// float32/float64 logits: gather minus a per-row logsumexp (one row of the batch at a time, so the peak
    /// temporary is one [T, V] row). Half-precision logits: a per-row log-softmax, which is more accurate there.</summary>
    public static Tensor SelectiveLogSoftmax(Tensor logits, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(index);
        bool squeeze = index.dim() == logits.dim() - 1;
        if (!squeeze && index.dim() != logits.dim())
            throw new ArgumentException($"index must have rank {logits.dim() - 1} or {logits.dim()}, got {index.dim()}.", nameof(index));

        using var scope = NewDisposeScope();
        var ids = squeeze ? index.unsqueeze(-1) : index;
        Tensor result;
        if (logits.dtype == ScalarType.Float32 || logits.dtype == ScalarType.Float64)
        {
            var selected = logits.gather(-1, ids);
            var rows = new Tensor[logits.shape[0]];
            for (long i = 0; i < rows.Length; i++)
                rows[i] = logits[i].logsumexp(-1);
            result = selected - stack(rows).unsqueeze(-1);
        }
        else
        {
            var rows = new Tensor[logits.shape[0]];
            for (long i = 0; i < rows.Length; i++)
                rows[i] = logits[i].log_softmax(-1).gather(-1, ids[i]);
            result = stack(rows);
        }
        if (squeeze) result = result.squeeze(-1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Entropy (nats) of softmax(logits) along the last dimension, computed <paramref name="chunkSize"/>
    /// rows at a time so only one chunk's log-softmax is alive at once.</summary>
    public static Tensor EntropyFromLogits(Tensor logits, int chunkSize = 128)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var leading = logits.shape[..^1];
        long vocab = logits.shape[^1];
        using var scope = NewDisposeScope();
        var flat = logits.reshape(-1, vocab);
        var parts = new List<Tensor>();
        for (long start = 0; start < flat.shape[0]; start += chunkSize)
        {
            long len = Math.Min(chunkSize, flat.shape[0] - start);
            using var inner = NewDisposeScope();
            var logps = flat.narrow(0, start, len).log_softmax(-1);
            parts.Add((-(logps.exp() * logps).sum(-1)).MoveToOuterDisposeScope());
        }
        var all = parts.Count == 0 ? empty(0, dtype: logits.dtype, device: logits.device) : cat(parts, 0);
        return all.reshape(leading).MoveToOuterDisposeScope();
    }
}
