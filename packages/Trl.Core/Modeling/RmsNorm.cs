using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>RMSNorm as in Hugging Face Llama/Qwen: normalise in float32, cast back, then scale.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly double _eps;
#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys
    /// <summary>The learned scale.</summary>
    internal readonly Parameter weight;
#pragma warning restore IDE1006, CA1051

    /// <summary>Creates a norm over the last dimension of size <paramref name="size"/>.</summary>
    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        _eps = eps;
        // Detach: a Parameter built inside a caller's dispose scope would otherwise be freed with it.
        weight = new Parameter(ones(size)).DetachFromDisposeScope() as Parameter ?? throw new InvalidOperationException();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = input.to_type(ScalarType.Float32);
        h = h * (h.pow(2).mean(new long[] { -1 }, keepdim: true) + _eps).rsqrt();
        return (weight * h.to_type(input.dtype)).MoveToOuterDisposeScope();
    }
}
