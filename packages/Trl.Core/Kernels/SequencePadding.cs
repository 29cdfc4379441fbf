using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Padding of ragged sequences (TRL's <c>pad</c>) and the host-side index of loss targets.</summary>
public static class SequencePadding
{
    /// <summary>Stacks tensors of different lengths along a new batch dimension, padding each to the longest
    /// size in every dimension (and the first dimension up to a multiple of <paramref name="padToMultipleOf"/>).
    /// Padding goes after (right) or before (left) the values in the first dimension.</summary>
    internal static Tensor Pad(IReadOnlyList<Tensor> tensors, double paddingValue = 0, PaddingSide side = PaddingSide.Right, int? padToMultipleOf = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Nothing to pad: the list is empty.", nameof(tensors));
        int rank = (int)tensors[0].dim();
        var shape = new long[rank];
        foreach (var t in tensors)
        {
            if (t.dim() != rank) throw new ArgumentException("All tensors must have the same rank.", nameof(tensors));
            for (int d = 0; d < rank; d++) shape[d] = Math.Max(shape[d], t.shape[d]);
        }
        if (padToMultipleOf is int m && m > 0 && rank > 0 && shape[0] % m != 0)
            shape[0] += m - shape[0] % m;

        var outShape = new long[rank + 1];
        outShape[0] = tensors.Count;
        Array.Copy(shape, 0, outShape, 1, rank);
        var output = full(outShape, paddingValue, dtype: tensors[0].dtype, device: tensors[0].device);
        using var scope = NewDisposeScope();
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            var target = output[i];
            for (int d = 0; d < rank; d++)
            {
                long start = d == 0 && side == PaddingSide.Left ? shape[0] - t.shape[0] : 0;
                target = target.narrow(d, start, t.shape[d]);
            }
            target.copy_(t);
        }
        return output;
    }

    /// <summary>Pads lists of token ids (or labels) into a [B, T] int64 tensor, built on the host and moved once to
    /// <paramref name="device"/> (the CPU when null).</summary>
    public static Tensor PadIds(IReadOnlyList<IReadOnlyList<long>> sequences, long paddingValue, PaddingSide side = PaddingSide.Right, int? padToMultipleOf = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int length = sequences.Count == 0 ? 0 : sequences.Max(s => s.Count);
        if (padToMultipleOf is int m && m > 0 && length % m != 0) length += m - length % m;
        var data = new long[sequences.Count * length];
        Array.Fill(data, paddingValue);
        for (int i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            int offset = i * length + (side == PaddingSide.Left ? length - s.Count : 0);
            for (int j = 0; j < s.Count; j++) data[offset + j] = s[j];
        }
        return tensor(data, new long[] { sequences.Count, length }, device: device);
    }

    /// <summary>The [B, T] attention mask of <paramref name="sequences"/> padded as <see cref="PadIds"/> pads them:
    /// 1 on every token, 0 on padding.</summary>
    public static Tensor AttentionMask(IReadOnlyList<IReadOnlyList<long>> sequences, PaddingSide side = PaddingSide.Right, int? padToMultipleOf = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        return PadIds(sequences.Select(s => (IReadOnlyList<long>)Enumerable.Repeat(1L, s.Count).ToArray()).ToList(), 0, side, padToMultipleOf, device);
    }

    /// <summary>Where a right-padded batch takes next-token losses, as flat indices [M] into its [B, width − 1] grid of
    /// targets (target t of row r is token t + 1): index r·(width − 1) + t − 1 for every token t ≥ 1 whose mask is
    /// non-zero. Built on the host from the unpadded per-row masks, so selecting positions needs no device sync.</summary>
    public static Tensor NextTokenIndex(IReadOnlyList<IReadOnlyList<long>> masks, long width, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var index = new List<long>();
        for (int r = 0; r < masks.Count; r++)
        {
            var m = masks[r];
            if (m.Count > width) throw new ArgumentException($"row {r} has {m.Count} tokens, more than the batch width {width}.", nameof(masks));
            for (int t = 1; t < m.Count; t++)
                if (m[t] != 0) index.Add(r * (width - 1) + t - 1);
        }
        return tensor(index.ToArray(), ScalarType.Int64, device: device);
    }
}
