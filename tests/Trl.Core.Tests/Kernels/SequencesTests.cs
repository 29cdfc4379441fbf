using Trl.Kernels;

namespace Trl.Core.Tests.Kernels;

public class SequencesTests
{
    [Test]
    public void PositionIdsIgnoreLeftPadding()
    {
        using var scope = NewDisposeScope();
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 1, 9 });
        var ids = Sequences.PositionIdsFromAttentionMask(mask);
        Assert.That(ids.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void PackedPositionIdsRestartPerSequence()
    {
        Assert.That(Sequences.PackedPositionIds(new[] { 3, 2 }), Is.EqualTo(new long[] { 0, 1, 2, 0, 1 }));
    }

    [Test]
    public void TruncationKeepsTheRequestedEnd()
    {
        var items = new long[] { 1, 2, 3, 4, 5 };
        Assert.That(Sequences.TruncateKeepStart(items, 3), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(Sequences.TruncateKeepEnd(items, 3), Is.EqualTo(new long[] { 3, 4, 5 }));
        Assert.That(Sequences.TruncateKeepEnd(items, null), Is.EqualTo(items));
    }
}
