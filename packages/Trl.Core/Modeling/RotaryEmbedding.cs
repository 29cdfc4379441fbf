using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>Rotary position embeddings (rotate-half form) with default, linear and Llama 3 frequency scaling,
/// computed in float32 from explicit position ids as transformers does. Not a module: its inverse frequencies
/// are derived from the config and never saved.</summary>
internal sealed class RotaryEmbedding : IDisposable
{
    readonly float[] _invFreq;
    Tensor? _cached;

    /// <summary>Builds the inverse frequencies for one head width.</summary>
    public RotaryEmbedding(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int dim = config.HeadDim;
        _invFreq = new float[dim / 2];
        for (int i = 0; i < _invFreq.Length; i++)
            _invFreq[i] = (float)(1.0 / Math.Pow(config.RopeTheta, (float)(2 * i) / dim));
        if (config.RopeType == "linear")
            for (int i = 0; i < _invFreq.Length; i++) _invFreq[i] = (float)(_invFreq[i] / config.RopeFactor);
        else if (config.RopeType == "llama3")
            ApplyLlama3Scaling(_invFreq, config);
    }

    static void ApplyLlama3Scaling(float[] invFreq, ModelConfig c)
    {
        double lowWavelen = c.RopeOriginalMaxPositions / c.RopeLowFreqFactor;
        double highWavelen = c.RopeOriginalMaxPositions / c.RopeHighFreqFactor;
        for (int i = 0; i < invFreq.Length; i++)
        {
            double f = invFreq[i];
            double wavelen = 2 * Math.PI / f;
            double scaled = wavelen > lowWavelen ? f / c.RopeFactor : f;
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                double smooth = (c.RopeOriginalMaxPositions / wavelen - c.RopeLowFreqFactor) / (c.RopeHighFreqFactor - c.RopeLowFreqFactor);
                scaled = (1 - smooth) * scaled / c.RopeFactor + smooth * scaled;
            }
            invFreq[i] = (float)scaled;
        }
    }

    /// <summary>cos and sin of shape [B, T, head_dim] for position ids [B, T], in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Compute(Tensor positionIds, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(positionIds);
        if (_cached is null || _cached.device_type != positionIds.device_type || _cached.device_index != positionIds.device_index)
        {
            _cached?.Dispose();
            _cached = tensor(_invFreq).to(positionIds.device).DetachFromDisposeScope();
        }
        using var scope = NewDisposeScope();
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * _cached;
        var emb = cat(new[] { freqs, freqs }, -1);
        return (emb.cos().to_type(dtype).MoveToOuterDisposeScope(), emb.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Applies the rotation to q or k of shape [B, heads, T, D] with cos/sin [B, T, D].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var rotated = cat(new[] { -x.narrow(-1, half, half), x.narrow(-1, 0, half) }, -1);
        return (x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => _cached?.Dispose();
}
