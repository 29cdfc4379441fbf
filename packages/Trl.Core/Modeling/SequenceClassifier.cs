using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>HF <c>*ForSequenceClassification</c>: a bias-free <c>score</c> head on the hidden state of the last
/// non-pad token of each row (reward models).</summary>
public sealed class SequenceClassifier : PretrainedModel
{
    /// <summary>The decoder stack.</summary>
    internal readonly DecoderModel model;
    /// <summary>The classification head [num_labels, hidden].</summary>
    internal readonly Projection score;

    /// <summary>Creates a randomly initialised classifier.</summary>
    public SequenceClassifier(ModelConfig config) : base(nameof(SequenceClassifier), config)
    {
        model = new DecoderModel(config);
        score = new Projection(config.HiddenSize, config.NumLabels, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override DecoderModel Decoder => model;

    /// <inheritdoc />
    protected override bool IsDerivedKey(string key) => base.IsDerivedKey(key) || key == "lm_head.weight";

    /// <summary>Loads a model folder as a classifier of <paramref name="numLabels"/> outputs (null: the config's
    /// num_labels), as transformers' AutoModelForSequenceClassification.from_pretrained(num_labels=…) does: a folder
    /// with a matching score head loads it; a causal LM's body (or a head of another size) gets a new head,
    /// normal(0, initializer_range) from <paramref name="seed"/>. TRL's reward and value models use num_labels = 1.</summary>
    public static SequenceClassifier FromPretrained(string directory, int? numLabels = null, long? seed = null)
    {
        var loaded = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var config = numLabels is int n && n != loaded.NumLabels ? loaded.WithHead(n, "ForSequenceClassification") : loaded;
        CheckConfigMatchesWeights(config, directory);
        var m = new SequenceClassifier(config);
        try
        {
            m.LoadBodyWithNewHead(directory, m.score, seed);
            return m;
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <summary>A new classifier with transformers' initialisation (see <see cref="CausalLM.FromConfig"/>) on a
    /// config's body, with <paramref name="numLabels"/> outputs.</summary>
    public static SequenceClassifier FromConfig(ModelConfig config, int numLabels, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        manual_seed(seed);
        var m = new SequenceClassifier(config.WithHead(numLabels, "ForSequenceClassification"));
        InitializeWeights(m, config.InitializerRange);
        return m;
    }

    /// <summary>The score head at every position, [B, T, num_labels]: with num_labels = 1 this is the scalar value
    /// head of PPO-style trainers (TRL's value model is a sequence classifier read at each token), and the pooled
    /// <see cref="Forward"/> is its value at the last non-pad token.</summary>
    public Tensor ForwardAllPositions(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        return score.call(model.Forward(inputIds, attentionMask, positionIds)).MoveToOuterDisposeScope();
    }

    /// <summary>Scores [B, num_labels], pooled at the last token that is not <paramref name="padTokenId"/>, as transformers does.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, long padTokenId)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        var logits = score.call(model.Forward(inputIds, attentionMask));
        var nonPad = inputIds.ne(padTokenId).to_type(ScalarType.Int64);
        var last = (arange(inputIds.shape[1], device: inputIds.device) * nonPad).argmax(-1);
        var pooled = logits[arange(inputIds.shape[0], device: inputIds.device), last];
        return pooled.MoveToOuterDisposeScope();
    }
}
