using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Statistics over the positions where a mask is true/non-zero (TRL's masked_mean/var/whiten).</summary>
public static class MaskedStats
{
    /// <summary>Sum of values where mask is set, over all elements or along <paramref name="dim"/>.</summary>
    public static Tensor Sum(Tensor values, Tensor mask, long? dim = null)
    {
        using var scope = NewDisposeScope();
        var masked = values * mask.to_type(values.dtype);
        var r = dim is long d ? masked.sum(d) : masked.sum();
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>Mean of values where mask is set, over all elements or along <paramref name="dim"/>.</summary>
    public static Tensor Mean(Tensor values, Tensor mask, long? dim = null)
    {
        using var scope = NewDisposeScope();
        var m = mask.to_type(values.dtype);
        var r = dim is long d ? (values * m).sum(d) / m.sum(d) : (values * m).sum() / m.sum();
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>Variance of values where mask is set; <paramref name="unbiased"/> applies Bessel's correction.</summary>
    public static Tensor Var(Tensor values, Tensor mask, bool unbiased = true)
    {
        using var scope = NewDisposeScope();
        var mean = Mean(values, mask);
        var centered = values - mean;
        var variance = Mean(centered * centered, mask);
        if (unbiased)
        {
            var count = mask.to_type(values.dtype).sum();
            if (count.item<float>() == 0)
                throw new ArgumentException("The mask is empty: there is no value to take a variance of.", nameof(mask));
            variance = variance * (count / (count - 1));
        }
        return variance.MoveToOuterDisposeScope();
    }

    /// <summary>(values − mean) / sqrt(var + 1e-8) over the masked positions; with <paramref name="shiftMean"/>
    /// false the mean is added back (only the scale is normalised).</summary>
    public static Tensor Whiten(Tensor values, Tensor mask, bool shiftMean = true)
    {
        using var scope = NewDisposeScope();
        var mean = Mean(values, mask);
        var variance = Var(values, mask);
        var whitened = (values - mean) * (variance + 1e-8).rsqrt();
        if (!shiftMean) whitened = whitened + mean;
        return whitened.MoveToOuterDisposeScope();
    }
}
