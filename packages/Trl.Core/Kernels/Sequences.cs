using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Small helpers on token sequences: the ignore index, position ids, truncation.</summary>
public static class Sequences
{
    /// <summary>Label id that losses ignore (PyTorch's cross-entropy default).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Position ids that count only attended tokens, so left padding does not shift RoPE:
    /// clamp(cumsum(mask) − 1, 0).</summary>
    public static Tensor PositionIdsFromAttentionMask(Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(attentionMask);
        using var scope = NewDisposeScope();
        return (attentionMask.to_type(ScalarType.Int64).cumsum(-1) - 1).clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>Position ids for packed rows: restart at 0 at every sequence start given by <paramref name="lengths"/>.</summary>
    public static long[] PackedPositionIds(IEnumerable<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var ids = new List<long>();
        foreach (var n in lengths)
            for (int i = 0; i < n; i++) ids.Add(i);
        return ids.ToArray();
    }

    /// <summary>Keeps the first <paramref name="maxLength"/> items (or all when shorter / no limit).</summary>
    public static IReadOnlyList<T> TruncateKeepStart<T>(IReadOnlyList<T> items, int? maxLength)
    {
        ArgumentNullException.ThrowIfNull(items);
        return maxLength is int n && items.Count > n ? items.Take(n).ToArray() : items;
    }

    /// <summary>Keeps the last <paramref name="maxLength"/> items (or all when shorter / no limit).</summary>
    public static IReadOnlyList<T> TruncateKeepEnd<T>(IReadOnlyList<T> items, int? maxLength)
    {
        ArgumentNullException.ThrowIfNull(items);
        return maxLength is int n && items.Count > n ? items.Skip(items.Count - n).ToArray() : items;
    }
}
