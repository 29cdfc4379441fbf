using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
internal sealed class DecoderMlp : nn.Module<Tensor, Tensor>
{
    /// <summary>Projections, named as in transformers.</summary>
    internal readonly Projection gate_proj, up_proj, down_proj;

    /// <summary>Creates the MLP of one layer.</summary>
    public DecoderMlp(ModelConfig c) : base(nameof(DecoderMlp))
    {
        ArgumentNullException.ThrowIfNull(c);
        gate_proj = new Projection(c.HiddenSize, c.IntermediateSize, c.MlpBias);
        up_proj = new Projection(c.HiddenSize, c.IntermediateSize, c.MlpBias);
        down_proj = new Projection(c.IntermediateSize, c.HiddenSize, c.MlpBias);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.silu(gate_proj.call(input)) * up_proj.call(input);
        return down_proj.call(h).MoveToOuterDisposeScope();
    }
}
