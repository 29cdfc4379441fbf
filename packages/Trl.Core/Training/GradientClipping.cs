using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>Global-norm gradient clipping with PyTorch's math and no host sync: the total norm stays a tensor
/// (read it only when logging).</summary>
internal static class GradientClipping
{
    /// <summary>Scales all gradients by min(1, max/(‖g‖+1e-6)) when <paramref name="maxNorm"/> &gt; 0, and returns
    /// the pre-clip total norm as a 0-d float32 tensor.</summary>
    public static Tensor ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToArray();
        if (grads.Length == 0) return zeros(1).squeeze();
        using var scope = NewDisposeScope();
        var norms = grads.Select(g => linalg.vector_norm(g.to_type(ScalarType.Float32), 2)).ToArray();
        var total = linalg.vector_norm(stack(norms), 2);
        if (maxNorm > 0)
        {
            var coef = (maxNorm / (total + 1e-6)).clamp_max(1.0);
            using var noGrad = no_grad();
            foreach (var g in grads) g.mul_(coef.to_type(g.dtype));
        }
        return total.MoveToOuterDisposeScope();
    }
}
