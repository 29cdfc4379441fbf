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
    public readonly DecoderModel model;
    /// <summary>The classification head [num_labels, hidden] + bias.</summary>
    public readonly Linear score;

    /// <summary>Creates a randomly initialised classifier.</summary>
    public TokenClassifier(ModelConfig config) : base(nameof(TokenClassifier), config)
    {
        model = new DecoderModel(config);
        score = nn.Linear(config.HiddenSize, config.NumLabels, hasBias: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override DecoderModel Decoder => model;

    /// <inheritdoc />
    protected override bool IsDerivedKey(string key) => base.IsDerivedKey(key) || key == "lm_head.weight";

    /// <summary>A token classifier on a causal LM's body (its lm_head is dropped), with a new head initialised
    /// as transformers does (normal(0, initializer_range), zero bias), reproducible from <paramref name="seed"/>.</summary>
    public static TokenClassifier FromCausalLM(string directory, int numLabels, long seed)
    {
        var raw = (System.Text.Json.Nodes.JsonObject)ModelConfig.Load(Path.Combine(directory, "config.json")).Raw.DeepClone();
        raw["num_labels"] = numLabels;
        manual_seed(seed);
        var m = new TokenClassifier(ModelConfig.FromJson(raw, Path.Combine(directory, "config.json")));
        try
        {
            using (no_grad())
            {
                m.score.weight!.normal_(0, raw["initializer_range"]?.GetValue<double>() ?? 0.02);
                m.score.bias!.zero_();
            }
            var file = Path.Combine(directory, "model.safetensors");
            var w = Safetensors.Load(file);
            try
            {
                w["score.weight"] = m.score.weight!.detach().clone().DetachFromDisposeScope();
                w["score.bias"] = m.score.bias!.detach().clone().DetachFromDisposeScope();
                m.LoadWeights(w, file);
            }
            finally { foreach (var t in w.Values) t.Dispose(); }
            return m;
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <summary>Logits [B, T, num_labels].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        return score.call(model.Forward(inputIds, attentionMask)).MoveToOuterDisposeScope();
    }
}
