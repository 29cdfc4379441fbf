using System.Text.Json.Nodes;

namespace Trl.Modeling;

/// <summary>The fields of a Hugging Face <c>config.json</c> that a decoder-only LM needs. Architecture traits
/// (q/k/v bias, per-head q/k norm, sliding window) are derived from <c>model_type</c> as transformers does.</summary>
public sealed record ModelConfig
{
    /// <summary>Model families this implementation covers.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = new[] { "llama", "qwen2", "qwen3", "mistral" };

    /// <summary>config.json's model_type.</summary>
    public required string ModelType { get; init; }
    /// <summary>Vocabulary size (rows of the embedding).</summary>
    public required int VocabSize { get; init; }
    /// <summary>Model width.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>MLP inner width.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary>Query heads.</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary>Key/value heads (grouped-query attention).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>Per-head width.</summary>
    public required int HeadDim { get; init; }
    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>RoPE scaling type: default, linear or llama3.</summary>
    public string RopeType { get; init; } = "default";
    /// <summary>RoPE scaling factor (linear, llama3).</summary>
    public double RopeFactor { get; init; } = 1;
    /// <summary>llama3 scaling: low_freq_factor.</summary>
    public double RopeLowFreqFactor { get; init; } = 1;
    /// <summary>llama3 scaling: high_freq_factor.</summary>
    public double RopeHighFreqFactor { get; init; } = 4;
    /// <summary>llama3 scaling: original_max_position_embeddings.</summary>
    public int RopeOriginalMaxPositions { get; init; } = 8192;
    /// <summary>Maximum positions.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>lm_head shares the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>q/k/v projections have a bias (Qwen2 always; Llama/Qwen3 when attention_bias).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>o_proj has a bias (Llama/Qwen3 attention_bias).</summary>
    public bool OutputBias { get; init; }
    /// <summary>MLP projections have a bias (Llama mlp_bias).</summary>
    public bool MlpBias { get; init; }
    /// <summary>Per-head RMSNorm on q and k (Qwen3).</summary>
    public bool QkNorm { get; init; }
    /// <summary>Sliding-window size when active, else null.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>Padding token id.</summary>
    public long? PadTokenId { get; init; }
    /// <summary>End-of-sequence token ids.</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = Array.Empty<long>();
    /// <summary>Beginning-of-sequence token id.</summary>
    public long? BosTokenId { get; init; }
    /// <summary>Outputs of a classification head (sequence/token classification).</summary>
    public int NumLabels { get; init; } = 2;
    /// <summary>The parsed config.json, kept so saving writes back every field transformers wrote.</summary>
    public JsonObject Raw { get; init; } = new();

    /// <summary>This config for a classification head of <paramref name="numLabels"/> outputs on the same body; the
    /// architecture becomes the family's name plus <paramref name="headSuffix"/> (e.g. Qwen2 + ForSequenceClassification).</summary>
    public ModelConfig WithHead(int numLabels, string headSuffix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numLabels, 1);
        var raw = (JsonObject)Raw.DeepClone();
        raw["num_labels"] = numLabels;
        raw.Remove("id2label");
        raw.Remove("label2id");
        var family = ModelType switch { "qwen2" => "Qwen2", "qwen3" => "Qwen3", "mistral" => "Mistral", _ => "Llama" };
        raw["architectures"] = new JsonArray(family + headSuffix);
        return this with { NumLabels = numLabels, Raw = raw };
    }

    /// <summary>transformers' initializer_range (the std of new weights).</summary>
    public double InitializerRange => Raw["initializer_range"] is JsonValue v && v.TryGetValue<double>(out var d) ? d : 0.02;

    /// <summary>Reads config.json.</summary>
    public static ModelConfig Load(string path)
    {
        var raw = Trl.Data.FileFormat.ReadJsonObject(path, Trl.Data.FileFormat.MaxConfigBytes);
        return FromJson(raw, path);
    }

    /// <summary>Builds a config from a parsed config.json object; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig FromJson(JsonObject raw, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(raw);
        var config = Trl.Data.FileFormat.Read(source, () => Parse(raw, source));
        config.CheckDimensions(source);
        return config;
    }

    /// <summary>Refuses sizes no real checkpoint has before anything is allocated from them (a hostile config.json
    /// must not allocate terabytes): positive, within bounds, and consistent with each other.</summary>
    void CheckDimensions(string source)
    {
        void Check(bool ok, string what) { if (!ok) throw new InvalidDataException($"{source}: {what}."); }
        Check(VocabSize is > 0 and <= 4_000_000, $"vocab_size {VocabSize} is out of range (1 … 4,000,000)");
        Check(HiddenSize is > 0 and <= 65_536, $"hidden_size {HiddenSize} is out of range (1 … 65,536)");
        Check(IntermediateSize is > 0 and <= 1_048_576, $"intermediate_size {IntermediateSize} is out of range (1 … 1,048,576)");
        Check(NumHiddenLayers is > 0 and <= 1024, $"num_hidden_layers {NumHiddenLayers} is out of range (1 … 1024)");
        Check(NumAttentionHeads is > 0 and <= 1024, $"num_attention_heads {NumAttentionHeads} is out of range (1 … 1024)");
        Check(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0, $"num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        Check(HeadDim is > 0 and <= 4096 && HeadDim % 2 == 0, $"head_dim {HeadDim} must be even and in 2 … 4096");
        Check(MaxPositionEmbeddings > 0, $"max_position_embeddings {MaxPositionEmbeddings} must be positive");
        Check(double.IsFinite(RmsNormEps) && RmsNormEps > 0, $"rms_norm_eps {RmsNormEps} must be a positive number");
        Check(double.IsFinite(RopeTheta) && RopeTheta > 0, $"rope_theta {RopeTheta} must be a positive number");
        Check(NumLabels is > 0 and <= 1_000_000, $"num_labels {NumLabels} is out of range");
        Check(SlidingWindow is null or > 0, $"sliding_window {SlidingWindow} must be positive");
    }

    static ModelConfig Parse(JsonObject raw, string source)
    {
        // Re-parse so values set from code (an int where the reader asks for a long) read like values from a file.
        raw = JsonNode.Parse(raw.ToJsonString())!.AsObject();
        string modelType = raw["model_type"]?.GetValue<string>()
            ?? throw new InvalidDataException($"{source}: field 'model_type' is missing.");
        if (!SupportedModelTypes.Contains(modelType))
            throw new NotSupportedException($"{source}: model_type '{modelType}' is not supported. Supported: {string.Join(", ", SupportedModelTypes)}.");

        int Req(string f) => raw[f]?.GetValue<int>() ?? throw new InvalidDataException($"{source}: field '{f}' is missing.");
        int hidden = Req("hidden_size");
        int heads = Req("num_attention_heads");
        var rope = raw["rope_parameters"]?.AsObject() ?? raw["rope_scaling"]?.AsObject();
        double theta = rope?["rope_theta"]?.GetValue<double>() ?? raw["rope_theta"]?.GetValue<double>() ?? 10000;
        string ropeType = rope?["rope_type"]?.GetValue<string>() ?? rope?["type"]?.GetValue<string>() ?? "default";
        if (ropeType is not ("default" or "linear" or "llama3"))
            throw new NotSupportedException($"{source}: rope type '{ropeType}' is not supported (default, linear, llama3).");
        string activation = raw["hidden_act"]?.GetValue<string>() ?? "silu";
        if (activation != "silu")
            throw new NotSupportedException($"{source}: hidden_act '{activation}' is not supported (the supported families use silu).");
        bool attentionBias = raw["attention_bias"]?.GetValue<bool>() ?? false;
        bool useSliding = modelType switch
        {
            "mistral" => raw["sliding_window"] is JsonValue,
            _ => (raw["use_sliding_window"]?.GetValue<bool>() ?? false) && raw["sliding_window"] is JsonValue,
        };
        var eos = raw["eos_token_id"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<long>()).ToArray(),
            JsonValue v => new[] { v.GetValue<long>() },
            null => Array.Empty<long>(),
            _ => throw new InvalidDataException($"{source}: eos_token_id must be an id or a list of ids."),
        };
        return new ModelConfig
        {
            ModelType = modelType,
            VocabSize = Req("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = Req("intermediate_size"),
            NumHiddenLayers = Req("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = raw["num_key_value_heads"]?.GetValue<int>() ?? heads,
            HeadDim = raw["head_dim"]?.GetValue<int>() ?? hidden / heads,
            RmsNormEps = raw["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
            RopeTheta = theta,
            RopeType = ropeType,
            RopeFactor = rope?["factor"]?.GetValue<double>() ?? 1,
            RopeLowFreqFactor = rope?["low_freq_factor"]?.GetValue<double>() ?? 1,
            RopeHighFreqFactor = rope?["high_freq_factor"]?.GetValue<double>() ?? 4,
            RopeOriginalMaxPositions = rope?["original_max_position_embeddings"]?.GetValue<int>() ?? 8192,
            MaxPositionEmbeddings = raw["max_position_embeddings"]?.GetValue<int>() ?? 2048,
            TieWordEmbeddings = raw["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            AttentionBias = modelType == "qwen2" || attentionBias,
            OutputBias = modelType != "qwen2" && attentionBias,
            MlpBias = raw["mlp_bias"]?.GetValue<bool>() ?? false,
            QkNorm = modelType == "qwen3",
            SlidingWindow = useSliding ? raw["sliding_window"]!.GetValue<int>() : null,
            PadTokenId = raw["pad_token_id"] is JsonValue p ? p.GetValue<long>() : null,
            BosTokenId = raw["bos_token_id"] is JsonValue b ? b.GetValue<long>() : null,
            EosTokenIds = eos,
            NumLabels = raw["num_labels"]?.GetValue<int>() ?? (raw["id2label"] is JsonObject l ? l.Count : 2),
            Raw = raw,
        };
    }
}
