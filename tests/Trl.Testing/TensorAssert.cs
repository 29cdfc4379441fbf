using NUnit.Framework;
using static TorchSharp.torch;

namespace Trl.Testing;

/// <summary>Tensor comparisons with messages that say where and by how much values differ.</summary>
public static class TensorAssert
{
    /// <summary>|actual − expected| ≤ atol + rtol·|expected| elementwise; NaNs must coincide.</summary>
    public static void Close(Tensor actual, Tensor expected, double atol, double rtol = 0, string what = "tensor")
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        using var scope = NewDisposeScope();
        var a = actual.to_type(ScalarType.Float64).cpu();
        var e = expected.to_type(ScalarType.Float64).cpu();
        var nanA = a.isnan();
        var nanE = e.isnan();
        Assert.That(nanA.eq(nanE).all().item<bool>(), Is.True, $"{what}: NaN positions differ");
        var diff = (a - e).abs().masked_fill(nanE, 0);
        var bound = e.abs().masked_fill(nanE, 0) * rtol + atol;
        var bad = diff.gt(bound);
        if (bad.any().item<bool>())
        {
            long count = bad.sum().item<long>();
            var worst = (diff - bound).argmax().item<long>();
            Assert.Fail($"{what}: {count} of {a.numel()} elements out of tolerance (atol {atol}, rtol {rtol}); max |diff| {diff.max().item<double>():G6}, " +
                        $"worst at flat index {worst}: actual {a.flatten()[worst].item<double>():G9} vs expected {e.flatten()[worst].item<double>():G9}");
        }
    }

    /// <summary>Same shape and exactly the same values.</summary>
    public static void Equal(Tensor actual, Tensor expected, string what = "tensor")
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        using var scope = NewDisposeScope();
        var a = actual.to_type(ScalarType.Float64).cpu().flatten();
        var e = expected.to_type(ScalarType.Float64).cpu().flatten();
        Assert.That(a.data<double>().ToArray(), Is.EqualTo(e.data<double>().ToArray()), what);
    }

    /// <summary>Scalars within a relative tolerance (plus a tiny absolute floor for values near zero).</summary>
    public static void CloseRel(double actual, double expected, double rtol, string what, double atol = 1e-7)
    {
        if (double.IsNaN(expected)) { Assert.That(actual, Is.NaN, what); return; }
        Assert.That(Math.Abs(actual - expected), Is.LessThanOrEqualTo(atol + rtol * Math.Abs(expected)),
            $"{what}: actual {actual:G9} vs expected {expected:G9}");
    }
}
