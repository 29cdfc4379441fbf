using Trl.Data;

namespace Trl.Sft.Tests;

/// <summary>TRL's pack_dataset test vectors (seq_length 4).</summary>
public class PackingTests
{
    static readonly SftExample[] Docs =
    {
        new(new long[] { 1, 2, 3, 4, 5 }), new(new long[] { 6, 7 }), new(new long[] { 8, 9, 10 }), new(new long[] { 11 }),
    };

    [Test]
    public void BestFitDecreasingMatchesTrl()
    {
        var rows = Packing.BestFitDecreasing(Docs, 4);
        Assert.That(rows.Select(r => r.InputIds), Is.EqualTo(new[] { new long[] { 1, 2, 3, 4 }, new long[] { 8, 9, 10, 11 }, new long[] { 6, 7 } }));
        Assert.That(rows.Select(r => r.SequenceLengths), Is.EqualTo(new[] { new[] { 4 }, new[] { 3, 1 }, new[] { 2 } }));
    }

    [Test]
    public void BestFitDecreasingWithSplitMatchesTrl()
    {
        var rows = Packing.BestFitDecreasing(Docs, 4, split: true);
        Assert.That(rows.Select(r => r.InputIds), Is.EqualTo(new[] { new long[] { 1, 2, 3, 4 }, new long[] { 8, 9, 10, 5 }, new long[] { 6, 7, 11 } }));
        Assert.That(rows.Select(r => r.SequenceLengths), Is.EqualTo(new[] { new[] { 4 }, new[] { 3, 1 }, new[] { 2, 1 } }));
    }

    [Test]
    public void WrappedCutsTheStream()
    {
        var rows = Packing.Wrapped(Docs, 4);
        Assert.That(rows.Select(r => r.InputIds), Is.EqualTo(new[] { new long[] { 1, 2, 3, 4 }, new long[] { 5, 6, 7, 8 }, new long[] { 9, 10, 11 } }));
    }
}
