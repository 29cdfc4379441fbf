using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Statistics that ignore NaN entries (TRL's nanstd), used where a reward function
/// may return "no score" for a completion.</summary>
public static class NanStats
{
    /// <summary>Unbiased standard deviation ignoring NaNs, over everything or along <paramref name="dim"/>.
    /// A group with a single value gives NaN, as in TRL.</summary>
    public static Tensor Std(Tensor values, long? dim = null)
    {
        using var scope = NewDisposeScope();
        var valid = values.isnan().logical_not();
        var count = dim is long d0 ? valid.sum(d0).to_type(values.dtype) : valid.sum().to_type(values.dtype);
        var mean = dim is long d1 ? NanMean(values, valid, d1, keepdim: true) : NanMean(values, valid, null, keepdim: false);
        var sq = (values - mean).pow(2);
        var variance = dim is long d2 ? NanMean(sq, valid, d2, keepdim: false) : NanMean(sq, valid, null, keepdim: false);
        variance = variance * (count / (count - 1));
        return variance.sqrt().MoveToOuterDisposeScope();
    }

    static Tensor NanMean(Tensor values, Tensor valid, long? dim, bool keepdim)
    {
        var zeroed = values.masked_fill(valid.logical_not(), 0);
        var v = valid.to_type(values.dtype);
        return dim is long d ? zeroed.sum(d, keepdim) / v.sum(d, keepdim) : zeroed.sum() / v.sum();
    }
}
