using TorchSharp;
using TorchSharp.Modules;
using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>A decoder-only causal LM (HF <c>*ForCausalLM</c>): Llama, Qwen2, Qwen3 or Mistral, per config.json.
/// A tied lm_head reuses the embedding matrix directly, so it appears once among the parameters (as in
/// transformers' named_parameters) and the optimizer never updates it twice.</summary>
public sealed class CausalLM : PretrainedModel
{
    /// <summary>The decoder stack (HF prefix <c>model.</c>).</summary>
    internal readonly DecoderModel model;
    /// <summary>The output projection; null when tied to the embeddings.</summary>
    internal readonly Linear? lm_head;

    /// <summary>Creates a randomly initialised model.</summary>
    public CausalLM(ModelConfig config) : base(nameof(CausalLM), config)
    {
        model = new DecoderModel(config);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override DecoderModel Decoder => model;

    /// <inheritdoc />
    protected override bool IsDerivedKey(string key) =>
        base.IsDerivedKey(key) || (Config.TieWordEmbeddings && key == "lm_head.weight");

    /// <summary>Loads config.json and safetensors weights from a Hugging Face model folder.</summary>
    public static CausalLM FromPretrained(string directory, ScalarType? dtype = null, Device? device = null)
    {
        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        CheckConfigMatchesWeights(config, directory);
        var lm = new CausalLM(config);
        try
        {
            lm.LoadWeightsFromFolder(directory);
            if (dtype is ScalarType t) lm.to(t);
            if (device is not null) lm.to(device);
            return lm;
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    /// <summary>A new model with transformers' initialisation (normal(0, initializer_range) weights, zero biases,
    /// unit norms), reproducible from <paramref name="seed"/>.</summary>
    public static CausalLM FromConfig(ModelConfig config, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        manual_seed(seed);
        var lm = new CausalLM(config);
        InitializeWeights(lm, config.InitializerRange);
        return lm;
    }

    /// <summary>The output projection's weight [vocab, hidden] (the embedding matrix when tied).</summary>
    public Tensor HeadWeight => lm_head?.weight ?? model.embed_tokens.weight!;

    /// <summary>Log-probs of <paramref name="targets"/> [M] from hidden states [M, hidden] through the LM head, chunked
    /// over positions (no [M, vocab] logits kept when they are large; see <see cref="LmHeadLogProbs"/>).</summary>
    public TokenLogProbs TokenLogProbs(Tensor hidden, Tensor targets, LmHeadLogProbsOptions? options = null) =>
        LmHeadLogProbs.Compute(hidden, HeadWeight, null, targets, options);

    /// <summary>Log-probs of <paramref name="targets"/> [B, T] at every position of hidden states [B, T, hidden] (for
    /// statistics over all positions, e.g. TRL's logits/* of CPO and BCO); outputs are [B, T].</summary>
    public TokenLogProbs PositionLogProbs(Tensor hidden, Tensor targets, LmHeadLogProbsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(targets);
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        var r = TokenLogProbs(hidden.reshape(b * t, hidden.shape[^1]), targets.reshape(b * t), options);
        Tensor? Shape(Tensor? x) => x?.view(b, t).MoveToOuterDisposeScope();
        return new TokenLogProbs(Shape(r.Logps)!, Shape(r.Entropy), Shape(r.MeanLogit), Shape(r.Argmax)) { LogSquaredMass = Shape(r.LogSquaredMass) };
    }

    /// <summary>Log-probs [B, C] of a completion that ends the sequence: <paramref name="completionIds"/> [B, C] are the
    /// last C tokens of the sequence whose final hidden states are <paramref name="hidden"/> [B, L, hidden], predicted
    /// from positions L − C − 1 … L − 2 (what online trainers score their samples with).</summary>
    public TokenLogProbs CompletionLogProbs(Tensor hidden, Tensor completionIds, LmHeadLogProbsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(completionIds);
        long c = completionIds.shape[1];
        return PositionLogProbs(hidden.narrow(1, hidden.shape[1] - c - 1, c), completionIds, options);
    }

    /// <summary>Next-token log-probs of a batch from its final hidden states [B, T, hidden]: the targets are
    /// <paramref name="inputIds"/>[:, 1:], computed only at <paramref name="targetIndex"/> (flat indices into the
    /// [B, T − 1] grid, see <see cref="SequencePadding.NextTokenIndex"/>). The outputs are dense [B, T − 1] tensors,
    /// zero (argmax −1) where no target was selected.</summary>
    public TokenLogProbs NextTokenLogProbs(Tensor hidden, Tensor inputIds, Tensor targetIndex, LmHeadLogProbsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(targetIndex);
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], t = inputIds.shape[1] - 1;
        var idx = targetIndex.to(hidden.device);
        var rows = hidden.narrow(1, 0, t).reshape(b * t, hidden.shape[^1]).index_select(0, idx);
        var targets = inputIds.narrow(1, 1, t).reshape(b * t).index_select(0, idx);
        var r = TokenLogProbs(rows, targets, options);
        Tensor Dense(Tensor x, double fill) => full(b * t, fill, dtype: x.dtype, device: x.device).index_copy(0, idx, x).view(b, t).MoveToOuterDisposeScope();
        return new TokenLogProbs(Dense(r.Logps, 0), r.Entropy is null ? null : Dense(r.Entropy, 0),
            r.MeanLogit is null ? null : Dense(r.MeanLogit, 0), r.Argmax is null ? null : Dense(r.Argmax, -1))
        {
            LogSquaredMass = r.LogSquaredMass is null ? null : Dense(r.LogSquaredMass, 0),
        };
    }

    /// <summary>Logits [B, T, vocab] from the final hidden states.</summary>
    public Tensor Project(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        return lm_head is not null ? lm_head.call(hidden) : nn.functional.linear(hidden, model.embed_tokens.weight!);
    }

    /// <summary>Logits [B, T, vocab]. See <see cref="DecoderModel.Forward(Tensor, Tensor?, Tensor?, bool, IList{Tensor}?)"/> for the arguments.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, bool packed = false) =>
        Forward(inputIds, attentionMask, positionIds, null, packed);

    /// <summary>Logits extending a KV cache (incremental decoding).</summary>
    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache, bool packed = false)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Forward(inputIds, attentionMask, positionIds, cache, packed);
        return Project(hidden).MoveToOuterDisposeScope();
    }
}
