using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>Grouped-query self-attention (Llama/Qwen2/Qwen3/Mistral) through scaled-dot-product attention.</summary>
internal sealed class DecoderAttention : nn.Module
{
    /// <summary>Projections, named as in transformers.</summary>
    internal readonly Projection q_proj, k_proj, v_proj, o_proj;
    /// <summary>Qwen3's per-head norms (null elsewhere).</summary>
    internal readonly RmsNorm? q_norm, k_norm;
    readonly int _heads, _kvHeads, _headDim;

    /// <summary>Creates the attention block of one layer.</summary>
    public DecoderAttention(ModelConfig c) : base(nameof(DecoderAttention))
    {
        ArgumentNullException.ThrowIfNull(c);
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        q_proj = new Projection(c.HiddenSize, _heads * _headDim, c.AttentionBias);
        k_proj = new Projection(c.HiddenSize, _kvHeads * _headDim, c.AttentionBias);
        v_proj = new Projection(c.HiddenSize, _kvHeads * _headDim, c.AttentionBias);
        o_proj = new Projection(_heads * _headDim, c.HiddenSize, c.OutputBias);
        if (c.QkNorm)
        {
            q_norm = new RmsNorm(_headDim, c.RmsNormEps);
            k_norm = new RmsNorm(_headDim, c.RmsNormEps);
        }
        RegisterComponents();
    }

    /// <summary>Attention over [B, T, hidden]; with a cache, T new positions are appended to the past ones.
    /// <paramref name="causal"/> asks SDPA for its own causal mask (only valid when queries and keys coincide).</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int layer)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.call(x).view(b, t, _heads, _headDim);
        var k = k_proj.call(x).view(b, t, _kvHeads, _headDim);
        var v = v_proj.call(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        if (q_norm is not null) q = q_norm.call(q);
        if (k_norm is not null) k = k_norm.call(k);
        q = RotaryEmbedding.Apply(q.transpose(1, 2), cos, sin);
        k = RotaryEmbedding.Apply(k.transpose(1, 2), cos, sin);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        k = RepeatKv(k);
        v = RepeatKv(v);
        var attn = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask, is_casual: causal);
        var merged = attn.transpose(1, 2).reshape(b, t, _heads * _headDim);
        return o_proj.call(merged).MoveToOuterDisposeScope();
    }

    Tensor RepeatKv(Tensor kv)
    {
        int rep = _heads / _kvHeads;
        if (rep == 1) return kv;
        long b = kv.shape[0], s = kv.shape[2];
        return kv.unsqueeze(2).expand(b, _kvHeads, rep, s, _headDim).reshape(b, _heads, s, _headDim);
    }
}
