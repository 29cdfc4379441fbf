using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>HF <c>*ForTokenClassification</c>: a <c>score</c> layer (with bias) on every position's hidden state
/// (process reward models).</summary>
public sealed class TokenClassifier : PretrainedModel
{
    /// <summary>The decoder stack.</summary>
    internal readonly DecoderModel model;
    /// <summary>The classification head [num_labels, hidden] + bias.</summary>
    internal readonly Projection score;

    /// <summary>Creates a randomly initialised classifier.</summary>
    public TokenClassifier(ModelConfig config) : base(nameof(TokenClassifier), config)
    {
        model = new DecoderModel(config);
        score = new Projection(config.HiddenSize, config.NumLabels, hasBias: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override DecoderModel Decoder => model;

    /// <inheritdoc />
    protected override bool IsDerivedKey(string key) => base.IsDerivedKey(key) || key == "lm_head.weight";

    /// <summary>Loads a model folder as a token classifier of <paramref name="numLabels"/> outputs (null: the
    /// config's): a matching score head loads, a causal LM's body gets a new head (normal(0, initializer_range), zero
    /// bias, from <paramref name="seed"/>), as transformers' AutoModelForTokenClassification.from_pretrained does.</summary>
    public static TokenClassifier FromPretrained(string directory, int? numLabels = null, long? seed = null)
    {
        var loaded = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var config = numLabels is int n && n != loaded.NumLabels ? loaded.WithHead(n, "ForTokenClassification") : loaded;
        CheckConfigMatchesWeights(config, directory);
        var m = new TokenClassifier(config);
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

    /// <summary>A new token classifier with transformers' initialisation on a config's body.</summary>
    public static TokenClassifier FromConfig(ModelConfig config, int numLabels, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        manual_seed(seed);
        var m = new TokenClassifier(config.WithHead(numLabels, "ForTokenClassification"));
        InitializeWeights(m, config.InitializerRange);
        return m;
    }

    /// <summary>Logits [B, T, num_labels].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        return score.call(model.Forward(inputIds, attentionMask)).MoveToOuterDisposeScope();
    }
}
