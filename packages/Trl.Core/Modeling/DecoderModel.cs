using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>The decoder stack (the <c>model.</c> prefix of HF checkpoints): embeddings, layers, final norm.</summary>
public sealed class DecoderModel : nn.Module
{
    /// <summary>Token embeddings.</summary>
    internal readonly Embedding embed_tokens;
    /// <summary>Decoder layers.</summary>
    internal readonly ModuleList<DecoderLayer> layers;
    /// <summary>Final norm.</summary>
    internal readonly RmsNorm norm;
    readonly RotaryEmbedding _rotary;
    readonly ModelConfig _config;

    /// <summary>Creates a randomly initialised stack for the config.</summary>
    public DecoderModel(ModelConfig config) : base(nameof(DecoderModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = new ModuleList<DecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++) layers.Add(new DecoderLayer(config));
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
        _rotary = new RotaryEmbedding(config);
    }

    /// <summary>Recompute each layer's activations in backward instead of keeping them (transformers'
    /// gradient_checkpointing): applies in training mode with gradients on and no KV cache.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Final hidden states [B, T, hidden] (after the norm).</summary>
    /// <param name="inputIds">[B, T] token ids (only the new positions when a cache is used).</param>
    /// <param name="attentionMask">[B, past + T], 1 = real token; null = no padding.</param>
    /// <param name="positionIds">[B, T]; default past .. past+T−1.</param>
    /// <param name="packed">Position ids mark packed documents that must not attend to each other.</param>
    /// <param name="hiddenStates">When given, receives the embeddings and each layer's output (the last one normed), as transformers' output_hidden_states.</param>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, bool packed = false, IList<Tensor>? hiddenStates = null) =>
        Forward(inputIds, attentionMask, positionIds, null, packed, hiddenStates);

    /// <summary>The forward pass extending a KV cache (incremental decoding).</summary>
    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache, bool packed = false, IList<Tensor>? hiddenStates = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        long past = cache?.Length ?? 0;
        long t = inputIds.shape[1];
        positionIds ??= arange(past, past + t, device: inputIds.device).unsqueeze(0).expand(inputIds.shape[0], t);
        var h = embed_tokens.call(inputIds);
        var (cos, sin) = _rotary.Compute(positionIds, h.dtype);
        var mask = AttentionMasks.Build(attentionMask, t, past, _config.SlidingWindow, packed ? positionIds : null, h.dtype, h.device);
        // SDPA's is_casual aligns its mask top-left: right only when queries and keys coincide (no past).
        bool causal = mask is null && t > 1 && past == 0;
        hiddenStates?.Add(h.MoveToOuterDisposeScope());
        bool checkpoint = GradientCheckpointing && training && cache is null && is_grad_enabled();
        CheckpointedLayer.SharedInputs? shared = null;
        if (checkpoint)
        {
            // With frozen embeddings (LoRA) the layers' input carries no gradient, and a reentrant checkpoint then
            // passes none to the adapters inside: transformers' enable_input_require_grads makes it require one.
            if (!h.requires_grad) h = h.requires_grad_(true);
            // The recompute in backward reads these after this scope has ended: the checkpoint owns them until then.
            var keep = new List<Tensor> { cos.DetachFromDisposeScope(), sin.DetachFromDisposeScope() };
            if (mask is not null) keep.Add(mask.DetachFromDisposeScope());
            shared = new CheckpointedLayer.SharedInputs(keep, layers.Count);
        }
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int index = i;
            h = shared is null
                ? layer.Forward(h, cos, sin, mask, causal, cache, i)
                : CheckpointedLayer.Run(x => layer.Forward(x, cos, sin, mask, causal, null, index), h, shared);
            if (hiddenStates is not null && i < layers.Count - 1) hiddenStates.Add(h.MoveToOuterDisposeScope());
        }
        h = norm.call(h).MoveToOuterDisposeScope();
        hiddenStates?.Add(h);
        return h;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _rotary.Dispose();
        base.Dispose(disposing);
    }
}
