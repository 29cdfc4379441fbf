using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>One pre-norm decoder layer: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
internal sealed class DecoderLayer : nn.Module
{
    /// <summary>Sub-modules, named as in transformers.</summary>
    internal readonly DecoderAttention self_attn;
    /// <summary>Feed-forward block.</summary>
    internal readonly DecoderMlp mlp;
    /// <summary>Norms before attention and before the MLP.</summary>
    internal readonly RmsNorm input_layernorm, post_attention_layernorm;

    /// <summary>Creates a layer.</summary>
    public DecoderLayer(ModelConfig c) : base(nameof(DecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(c);
        self_attn = new DecoderAttention(c);
        mlp = new DecoderMlp(c);
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>Runs the layer.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(input_layernorm.call(x), cos, sin, mask, causal, cache, layer);
        return (h + mlp.call(post_attention_layernorm.call(h))).MoveToOuterDisposeScope();
    }
}
