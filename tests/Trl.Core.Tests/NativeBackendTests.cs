namespace Trl.Core.Tests;

/// <summary>Proves the native backend loads on this host (on Debian 12 only thanks to the build's
/// GLIBCXX fix) and that autograd works end to end.</summary>
public class NativeBackendTests
{
    [Test]
    public void TensorOpAndBackwardRunOnTheNativeBackend()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3 }).requires_grad_(true);
        var y = (x * x).sum();
        y.backward();
        Assert.That(y.item<float>(), Is.EqualTo(14f));
        Assert.That(x.grad!.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 4, 6 }));
    }

    [Test]
    public void MatmulMatchesHandComputedValues()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        var b = a.matmul(a);
        Assert.That(b.data<float>().ToArray(), Is.EqualTo(new float[] { 7, 10, 15, 22 }));
    }
}
