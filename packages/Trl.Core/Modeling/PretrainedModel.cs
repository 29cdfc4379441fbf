using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using Trl.Peft;
using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>Base of our Hugging Face–compatible models: parameter names equal the HF state-dict keys, so
/// checkpoints load and save with no mapping table. Loading is strict (missing, unexpected or misshaped
/// tensors are errors naming the file); saving writes config.json + model.safetensors that transformers loads.</summary>
public abstract class PretrainedModel : nn.Module
{
    /// <summary>Creates the base.</summary>
    protected PretrainedModel(string name, ModelConfig config) : base(name)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
    }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>The decoder stack.</summary>
    public abstract DecoderModel Decoder { get; }

    /// <summary>transformers' _init_weights: normal(0, std) weights, zero biases, unit norms.</summary>
    protected static void InitializeWeights(PretrainedModel model, double std)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else p.normal_(0, std);
        }
    }

    /// <summary>The device the weights live on.</summary>
    public Device Device
    {
        get
        {
            using var scope = NewDisposeScope();
            return parameters().First().device;
        }
    }

    /// <summary>Reads a folder's weights, giving a new classification head (not in the checkpoint: a causal LM's body,
    /// or a head of another size) transformers' initialisation — normal(0, initializer_range), zero bias — from
    /// <paramref name="seed"/> (null: the global generator). A causal LM's lm_head is left out.</summary>
    private protected void LoadBodyWithNewHead(string directory, Projection head, long? seed)
    {
        ArgumentNullException.ThrowIfNull(head);
        var files = WeightFiles(directory);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var f in files)
                foreach (var (k, v) in Safetensors.Load(f)) weights[k] = v;
            bool fresh = !weights.TryGetValue("score.weight", out var w) || !w.shape.SequenceEqual(head.weight.shape);
            if (fresh)
            {
                using (no_grad())
                using (var g = seed is long s ? new Generator((ulong)s) : null)
                using (NewDisposeScope())
                {
                    head.weight.copy_(normal(0, Config.InitializerRange, head.weight.shape, generator: g));
                    head.bias?.zero_();
                }
                foreach (var key in new[] { "score.weight", "score.bias" })
                    if (weights.Remove(key, out var old)) old.Dispose();
                weights["score.weight"] = head.weight.detach().clone().DetachFromDisposeScope();
                if (head.bias is not null) weights["score.bias"] = head.bias.detach().clone().DetachFromDisposeScope();
            }
            LoadWeights(weights, files.Count == 1 ? files[0] : directory);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Keys a checkpoint may hold that this model derives instead of storing (e.g. a tied lm_head).</summary>
    protected virtual bool IsDerivedKey(string key) => key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>Makes this a frozen reference model: eval mode, no gradients. Returns the model.</summary>
    public PretrainedModel Freeze()
    {
        eval();
        foreach (var (_, p) in named_parameters()) p.requires_grad = false;
        return this;
    }

    /// <summary>Switches to eval mode until the returned scope is disposed, then back to train mode if the model was
    /// training: for scoring passes (generation, reference log-probs, evaluation) in the middle of training.</summary>
    public IDisposable EvaluationMode()
    {
        bool wasTraining = training;
        eval();
        return new RestoreTraining(this, wasTraining);
    }

    sealed class RestoreTraining(PretrainedModel model, bool wasTraining) : IDisposable
    {
        public void Dispose() { if (wasTraining) model.train(); }
    }

    /// <summary>Unique parameters by HF name (no tied duplicates), adapter parameters included.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        named_parameters().Select(p => (p.name, p.parameter)).ToList();

    /// <summary>The parameters that train (requires_grad): all of them for full fine-tuning, the adapter's with LoRA.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters() =>
        named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();

    /// <summary>During bf16 mixed-precision training, the optimizer's fp32 master weights by parameter name: what a
    /// checkpoint saves instead of the bf16 compute copy. Null otherwise.</summary>
    internal IReadOnlyDictionary<string, Tensor>? MasterWeights { get; set; }

    /// <summary>The tensor a save writes for a parameter: its fp32 master during mixed precision, else itself.</summary>
    internal Tensor SavedValue(string name, Tensor parameter) =>
        MasterWeights is { } masters && masters.TryGetValue(name, out var master) ? master : parameter;

    /// <summary>The PEFT adapter on this model (see <see cref="LoraAdapter.Add"/>), or null.</summary>
    public LoraAdapter? Adapter { get; internal set; }

    /// <summary>The base model's own parameters (what config.json + model.safetensors hold), without the adapter's.</summary>
    IEnumerable<(string name, Parameter parameter)> BaseParameters() =>
        named_parameters().Where(p => Adapter?.OwnsParameter(p.name) != true);

    /// <summary>Copies tensors into the parameters (converting dtype), strictly: every parameter must be present
    /// with its shape, and nothing unknown may be left over. <paramref name="source"/> names the origin in errors.</summary>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var parameters = BaseParameters().ToDictionary(p => p.name, p => p.parameter);
        var missing = parameters.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !parameters.ContainsKey(k) && !IsDerivedKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"{source}: the checkpoint does not match a {Config.ModelType} model of this config." +
                (missing.Count > 0 ? $" Missing tensors ({missing.Count}): {string.Join(", ", missing.Take(10))}." : "") +
                (unexpected.Count > 0 ? $" Unexpected tensors ({unexpected.Count}): {string.Join(", ", unexpected.Take(10))}." : ""));
        using var noGrad = no_grad();
        foreach (var (name, p) in parameters)
        {
            var w = weights[name];
            if (!w.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape [{string.Join(",", w.shape)}], the model expects [{string.Join(",", p.shape)}].");
            using var scope = NewDisposeScope();
            p.copy_(w.to(p.dtype, p.device));
        }
    }

    /// <summary>Reads weights from a folder: model.safetensors, or shards listed in model.safetensors.index.json; with an
    /// adapter on the model, a folder holding adapter_model.safetensors (what <see cref="SavePretrained(string, long)"/> wrote) loads
    /// the adapter. PyTorch pickles (.bin) are refused: they can execute code.</summary>
    public void LoadWeightsFromFolder(string directory)
    {
        if (Adapter is not null && File.Exists(Path.Combine(directory, LoraAdapter.WeightsFileName)))
        {
            Adapter.LoadWeights(directory);
            return;
        }
        var files = WeightFiles(directory);
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var f in files)
                foreach (var (k, v) in Safetensors.Load(f)) all[k] = v;
            LoadWeights(all, files.Count == 1 ? files[0] : directory);
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }

    /// <summary>Checks config.json's dimensions against the tensors the folder's headers declare before a model is
    /// built from them, so a config that does not belong to the weights (or a hostile one) is a clear error and never a
    /// huge allocation: the embedding, each layer's q/k/v/down projections, and no layers beyond num_hidden_layers.</summary>
    internal static void CheckConfigMatchesWeights(ModelConfig config, string directory)
    {
        ArgumentNullException.ThrowIfNull(config);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var f in WeightFiles(directory))
            foreach (var e in Safetensors.ReadHeader(f).Tensors) shapes[e.Name] = e.Shape;
        var configPath = Path.Combine(directory, "config.json");
        void Expect(string name, params long[] shape)
        {
            if (!shapes.TryGetValue(name, out var actual)) return;   // missing tensors are reported by the strict load
            if (!actual.SequenceEqual(shape))
                throw new InvalidDataException($"{configPath}: does not match the weights: '{name}' is [{string.Join(",", actual)}] but the config implies [{string.Join(",", shape)}].");
        }
        long hidden = config.HiddenSize, q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        Expect("model.embed_tokens.weight", config.VocabSize, hidden);
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}.";
            Expect(p + "self_attn.q_proj.weight", q, hidden);
            Expect(p + "self_attn.k_proj.weight", kv, hidden);
            Expect(p + "self_attn.v_proj.weight", kv, hidden);
            Expect(p + "mlp.down_proj.weight", hidden, config.IntermediateSize);
        }
        if (!shapes.Keys.Any(k => k.StartsWith($"model.layers.{config.NumHiddenLayers - 1}.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{configPath}: does not match the weights: num_hidden_layers is {config.NumHiddenLayers} but the weights hold no layer {config.NumHiddenLayers - 1}.");
        var extra = shapes.Keys.FirstOrDefault(k => k.StartsWith($"model.layers.{config.NumHiddenLayers}.", StringComparison.Ordinal));
        if (extra is not null)
            throw new InvalidDataException($"{configPath}: does not match the weights: num_hidden_layers is {config.NumHiddenLayers} but the weights hold '{extra}'.");
    }

    /// <summary>The safetensors files of a model folder (one file, or the shards of its index).</summary>
    static List<string> WeightFiles(string directory)
    {
        var single = Path.Combine(directory, "model.safetensors");
        var index = Path.Combine(directory, "model.safetensors.index.json");
        var files = new List<string>();
        if (File.Exists(single)) files.Add(single);
        else if (File.Exists(index))
        {
            var root = Trl.Data.FileFormat.ReadJsonObject(index, Trl.Data.FileFormat.MaxConfigBytes);
            var map = root["weight_map"] as JsonObject ?? throw new InvalidDataException($"{index}: no weight_map object.");
            var folder = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
            foreach (var (tensor, file) in map)
            {
                var name = file is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                    : throw new InvalidDataException($"{index}: weight_map['{tensor}'] must be a file name.");
                // Shards live in the model folder: a path that leaves it (../, an absolute path) is refused.
                var full = Path.GetFullPath(Path.Combine(directory, name));
                if (!full.StartsWith(folder, StringComparison.Ordinal))
                    throw new InvalidDataException($"{index}: weight_map['{tensor}'] = '{name}' points outside the model folder.");
                if (!files.Contains(full)) files.Add(full);
            }
            foreach (var f in files)
                if (!File.Exists(f)) throw new FileNotFoundException($"{index}: shard {Path.GetFileName(f)} is missing.", f);
        }
        else if (Directory.EnumerateFiles(directory, "*.bin").Any())
            throw new NotSupportedException($"{directory}: only PyTorch pickle weights (*.bin) were found. Pickles can execute code and are never loaded; convert the checkpoint to safetensors (transformers: save_pretrained(..., safe_serialization=True)).");
        else
            throw new FileNotFoundException($"{directory}: no model.safetensors or model.safetensors.index.json.");
        return files;
    }

    /// <summary>transformers' default max_shard_size (5 GB).</summary>
    public const long DefaultMaxShardSize = 5L * 1000 * 1000 * 1000;

    /// <summary>Writes config.json and the weights (HF names, dtypes and shapes; tied lm_head left out as transformers
    /// does) into <paramref name="directory"/>: one model.safetensors, or — past <paramref name="maxShardSize"/> bytes —
    /// shards model-0000i-of-0000N.safetensors with model.safetensors.index.json, as save_pretrained does. Each file
    /// is written atomically, and weights of another layout left in the folder are removed. A model with an adapter
    /// saves the adapter (adapter_config.json + adapter_model.safetensors), as peft's PeftModel.save_pretrained does;
    /// merge it first (<see cref="LoraAdapter.MergeAndUnload"/>) for a full checkpoint.</summary>
    public void SavePretrained(string directory, long maxShardSize = DefaultMaxShardSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardSize);
        if (Adapter is not null)
        {
            Adapter.SavePretrained(directory);
            return;
        }
        Directory.CreateDirectory(directory);
        var tensors = named_parameters().ToDictionary(p => p.name, p => SavedValue(p.name, p.parameter));
        var shards = new List<List<string>> { new() };
        long shardBytes = 0, totalBytes = 0;
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            long bytes = tensors[name].NumberOfElements * tensors[name].ElementSize;
            if (shards[^1].Count > 0 && shardBytes + bytes > maxShardSize) { shards.Add(new()); shardBytes = 0; }
            shards[^1].Add(name);
            shardBytes += bytes;
            totalBytes += bytes;
        }
        var stale = Directory.GetFiles(directory, "model*.safetensors*").Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)).ToHashSet();
        if (shards.Count == 1)
        {
            var path = Path.Combine(directory, "model.safetensors");
            Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
            stale.Remove(path);
        }
        else
        {
            var weightMap = new JsonObject();
            for (int i = 0; i < shards.Count; i++)
            {
                var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                Safetensors.Save(Path.Combine(directory, file), shards[i].ToDictionary(n => n, n => tensors[n]), new Dictionary<string, string> { ["format"] = "pt" });
                foreach (var n in shards[i]) weightMap[n] = file;
                stale.Remove(Path.Combine(directory, file));
            }
            var index = Path.Combine(directory, "model.safetensors.index.json");
            WriteTextAtomically(index, new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = totalBytes }, ["weight_map"] = weightMap }
                .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            stale.Remove(index);
        }
        foreach (var f in stale) File.Delete(f);
        var config = (JsonObject)Config.Raw.DeepClone();
        var first = tensors.Values.FirstOrDefault();
        if (first is not null)
            config["dtype"] = first.dtype switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" };
        WriteTextAtomically(Path.Combine(directory, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Writes text to a temp file and renames it over the target.</summary>
    internal static void WriteTextAtomically(string path, string text)
    {
        var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
