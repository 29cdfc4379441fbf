using TorchSharp;
using TorchSharp.Modules;
using Trl.Modeling;
using static TorchSharp.torch;

namespace Trl.Peft;

/// <summary>A LoRA adapter on a model, as peft's PeftModel is: the base stays frozen in its own dtype, only the adapter
/// (and modules_to_save) parameters train. Saves and loads peft's files (adapter_config.json +
/// adapter_model.safetensors with <c>base_model.model.&lt;path&gt;.lora_A.weight</c> keys), so an adapter trained here loads
/// in peft, transformers and vLLM and the other way round; merges into the base (merge_and_unload) for a plain
/// checkpoint; and disables itself to give the base model back (the reference of DPO, KTO, GRPO … with no second
/// copy of the weights).</summary>
public sealed class LoraAdapter : IDisposable
{
    /// <summary>The weights file peft writes.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";
    const string KeyPrefix = "base_model.model.";

    readonly List<(string Module, LoraLayer Layer)> _lora = new();
    readonly List<(string Module, ModulesToSaveLayer Layer)> _saved = new();
    readonly HashSet<string> _parameterNames = new(StringComparer.Ordinal);
    readonly IReadOnlyList<string> _modulesToSave;
    readonly List<TorchSharp.Modules.Parameter> _frozenBase = new();
    int _disabled;

    LoraAdapter(PretrainedModel model, LoraConfig config, IReadOnlyList<string> modulesToSave)
    {
        Model = model;
        Config = config;
        _modulesToSave = modulesToSave;
    }

    /// <summary>The model carrying the adapter.</summary>
    public PretrainedModel Model { get; }
    /// <summary>The configuration.</summary>
    public LoraConfig Config { get; }
    /// <summary>Whether the adapter takes part in forward passes (false inside <see cref="Disable"/>).</summary>
    public bool Enabled => _disabled == 0;
    /// <summary>Whether the LoRA branches are folded into the base weights.</summary>
    public bool Merged => _lora.Count > 0 && _lora[0].Layer.Merged;
    /// <summary>The adapted modules, in model order.</summary>
    public IReadOnlyList<string> TargetedModules => _lora.Select(l => l.Module).ToList();
    /// <summary>Modules trained in full and saved with the adapter.</summary>
    public IReadOnlyList<string> ModulesToSave => _saved.Select(s => s.Module).ToList();

    /// <summary>Adapter and modules_to_save parameters by model name (<c>…q_proj.lora_A.weight</c>).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters =>
        Model.named_parameters().Where(p => _parameterNames.Contains(p.name)).Select(p => (p.name, p.parameter)).ToList();

    /// <summary>Whether a model parameter belongs to the adapter rather than the base.</summary>
    public bool OwnsParameter(string name) => _parameterNames.Contains(name);

    /// <summary>peft's get_peft_model: wraps the targeted projections, freezes every base parameter and makes the adapter
    /// trainable. The init draws come from the global generator, seeded with <paramref name="seed"/> when given, in peft's
    /// order (so the same seed gives peft's initial A). A classifier's <c>score</c> head is trained in full
    /// (modules_to_save), as peft does for SEQ_CLS/TOKEN_CLS — otherwise a new reward head would never learn.</summary>
    public static LoraAdapter Add(PretrainedModel model, LoraConfig config, long? seed = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (model.Adapter is not null) throw new InvalidOperationException("The model already has an adapter.");
        var modulesToSave = (config.ModulesToSave ?? []).ToList();
        if (model is SequenceClassifier or TokenClassifier)
        {
            if (config.TaskType is "SEQ_CLS" or "TOKEN_CLS") modulesToSave.AddRange(["classifier", "score"]);
            else if (!modulesToSave.Contains("score")) modulesToSave.Add("score");
        }
        var targets = LoraTargets.Select(model, config, modulesToSave);
        var saved = LoraTargets.SelectModulesToSave(model, modulesToSave);
        var adapter = new LoraAdapter(model, config, modulesToSave);
        if (seed is long s) manual_seed(s);
        foreach (var (_, p) in model.named_parameters())
            if (p.requires_grad)
            {
                adapter._frozenBase.Add(p);
                p.requires_grad = false;
            }
        foreach (var (name, layer) in targets)
        {
            var (r, alpha) = LoraTargets.RankAndAlpha(name, config);
            var lora = new LoraLayer(layer, r, alpha, config.LoraDropout, config.UseRslora, config.UseDora, config.LoraBias, config.InitLoraWeights, adapter);
            layer.Attach(lora, lora.Modules());
            adapter._lora.Add((name, lora));
        }
        foreach (var (name, layer) in saved)
        {
            var copy = new ModulesToSaveLayer(layer, adapter);
            layer.Attach(copy, copy.Modules());
            adapter._saved.Add((name, copy));
        }
        var owned = adapter._lora.SelectMany(l => l.Layer.Modules().Select(m => (l.Module, m.Name)))
            .Concat(adapter._saved.SelectMany(s => s.Layer.Modules().Select(m => (s.Module, m.Name))))
            .Select(x => x.Item1 + "." + x.Item2 + ".").ToList();
        foreach (var (name, p) in model.named_parameters())
            if (owned.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                adapter._parameterNames.Add(name);
                p.requires_grad = true;
            }
        model.Adapter = adapter;
        return adapter;
    }

    /// <summary>Whether <paramref name="directory"/> holds a PEFT adapter (adapter_config.json).</summary>
    public static bool IsAdapterFolder(string directory) => File.Exists(Path.Combine(directory, AdapterConfigFile.FileName));

    /// <summary>Reads an adapter folder's adapter_config.json.</summary>
    public static LoraConfig ReadConfig(string directory) => AdapterConfigFile.Read(Path.Combine(directory, AdapterConfigFile.FileName));

    /// <summary>peft's PeftModel.from_pretrained: adds the folder's adapter to <paramref name="model"/> and loads its
    /// weights (strictly: every adapter tensor present with its shape). The global generator is left as it was.
    /// <paramref name="isTrainable"/> false (peft's default) freezes the adapter too.</summary>
    public static LoraAdapter Load(PretrainedModel model, string directory, bool isTrainable = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = ReadConfig(directory);
        using var rng = get_rng_state();
        var adapter = Add(model, config);
        set_rng_state(rng);
        try
        {
            adapter.LoadWeights(directory);
            if (!isTrainable) foreach (var (_, p) in adapter.Parameters) p.requires_grad = false;
            return adapter;
        }
        catch
        {
            adapter.Unload();
            throw;
        }
    }

    /// <summary>A causal LM with the adapter in <paramref name="adapterDirectory"/> on the base named by its
    /// base_model_name_or_path (or <paramref name="baseDirectory"/>, which wins), as AutoPeftModelForCausalLM does.</summary>
    public static CausalLM LoadCausalLM(string adapterDirectory, string? baseDirectory = null, bool isTrainable = false)
    {
        var config = ReadConfig(adapterDirectory);
        var basePath = baseDirectory ?? config.BaseModelNameOrPath;
        if (basePath is null || !File.Exists(Path.Combine(basePath, "config.json")))
            throw new FileNotFoundException(basePath is null
                ? $"{Path.Combine(adapterDirectory, AdapterConfigFile.FileName)}: no base_model_name_or_path; give the base model folder."
                : $"{Path.Combine(adapterDirectory, AdapterConfigFile.FileName)}: base_model_name_or_path '{basePath}' is not a local model folder; give the base model folder.", basePath);
        var model = CausalLM.FromPretrained(basePath);
        try
        {
            Load(model, adapterDirectory, isTrainable);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The adapter's tensors under the keys peft saves (adapter name removed; DoRA magnitudes without
    /// <c>.weight</c>; a modules_to_save copy under the module's own name).</summary>
    public Dictionary<string, Tensor> StateDict() =>
        Parameters.ToDictionary(p => FileKey(p.Name), p => Model.SavedValue(p.Name, p.Parameter), StringComparer.Ordinal);

    static string FileKey(string name)
    {
        name = name.Replace(".modules_to_save.", ".", StringComparison.Ordinal);
        if (name.EndsWith(".lora_magnitude_vector.weight", StringComparison.Ordinal)) name = name[..^".weight".Length];
        return KeyPrefix + name;
    }

    /// <summary>Copies peft-keyed tensors into the adapter; a missing, unknown or misshaped tensor is an error naming <paramref name="source"/>.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var byKey = Parameters.ToDictionary(p => FileKey(p.Name), p => p, StringComparer.Ordinal);
        var missing = byKey.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !byKey.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"{source}: the adapter does not match this model and adapter_config.json." +
                (missing.Count > 0 ? $" Missing tensors ({missing.Count}): {string.Join(", ", missing.Take(5))}." : "") +
                (unexpected.Count > 0 ? $" Unexpected tensors ({unexpected.Count}): {string.Join(", ", unexpected.Take(5))}." : ""));
        using var noGrad = no_grad();
        foreach (var (key, (name, p)) in byKey)
        {
            var t = tensors[key];
            if (!t.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{source}: tensor '{key}' has shape [{string.Join(",", t.shape)}], the adapter expects [{string.Join(",", p.shape)}].");
            using var scope = NewDisposeScope();
            p.copy_(t.to(p.dtype, p.device));
        }
    }

    /// <summary>Loads adapter_model.safetensors from a folder (an adapter folder or a checkpoint of a LoRA run).</summary>
    public void LoadWeights(string directory)
    {
        var path = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(path))
        {
            if (File.Exists(Path.Combine(directory, "adapter_model.bin")))
                throw new NotSupportedException($"{directory}: only a pickled adapter_model.bin was found; pickles can execute code and are never loaded (save with safe_serialization=True).");
            throw new FileNotFoundException($"{directory}: no {WeightsFileName}.", path);
        }
        var tensors = Safetensors.Load(path);
        try { LoadStateDict(tensors, path); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <summary>peft's save_pretrained: adapter_config.json (inference_mode true, as peft writes it) and
    /// adapter_model.safetensors (format pt), each written atomically.</summary>
    public void SavePretrained(string directory)
    {
        Directory.CreateDirectory(directory);
        var adapted = TargetedModules;
        (string, string)? autoMapping = Config.TaskType is null
            ? (Model.Config.Raw["architectures"] is System.Text.Json.Nodes.JsonArray { Count: > 0 } a ? a[0]!.GetValue<string>() : "PreTrainedModel", $"transformers.models.{Model.Config.ModelType}.modeling_{Model.Config.ModelType}") : null;
        var text = AdapterConfigFile.Write(Config, LoraTargets.Saved(Model, Config, adapted), _modulesToSave.Count > 0 ? _modulesToSave : null, autoMapping);
        Safetensors.Save(Path.Combine(directory, WeightsFileName), StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        PretrainedModel.WriteTextAtomically(Path.Combine(directory, AdapterConfigFile.FileName), text);
    }

    /// <summary>Runs forward passes on the base model until disposed (peft's disable_adapter): LoRA branches off (a merged
    /// adapter is unmerged first) and modules_to_save back to their frozen originals.</summary>
    public IDisposable Disable()
    {
        bool remerge = Merged;
        if (remerge) Unmerge();
        _disabled++;
        return new Reenable(this, remerge);
    }

    sealed class Reenable(LoraAdapter adapter, bool remerge) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            adapter._disabled--;
            if (remerge) adapter.Merge();
        }
    }

    /// <summary>Folds every LoRA branch into its base weights (W += ΔW; DoRA rescales rows).</summary>
    public void Merge() { foreach (var (_, l) in _lora) l.Merge(); }

    /// <summary>Takes merged branches back out of the base weights.</summary>
    public void Unmerge() { foreach (var (_, l) in _lora) l.Unmerge(); }

    /// <summary>peft's merge_and_unload: merges, replaces each modules_to_save layer by its trained copy, removes the
    /// adapter and leaves a plain model (base parameters trainable again if they were before the adapter came).</summary>
    public void MergeAndUnload()
    {
        Merge();
        using (no_grad())
            foreach (var (_, s) in _saved)
            {
                s.Layer.weight.copy_(s.Copy.weight);
                if (s.Copy.bias is not null) s.Layer.bias!.copy_(s.Copy.bias);
            }
        Remove();
    }

    /// <summary>peft's unload: removes the adapter without merging (the base weights as they were).</summary>
    public void Unload()
    {
        Unmerge();
        Remove();
    }

    void Remove()
    {
        foreach (var (_, l) in _lora)
        {
            l.Layer.Detach(l.Modules().Select(m => m.Name).ToList());
            l.Dispose();
        }
        foreach (var (_, s) in _saved)
        {
            s.Layer.Detach(s.Modules().Select(m => m.Name).ToList());
            s.Dispose();
        }
        _lora.Clear();
        _saved.Clear();
        _parameterNames.Clear();
        foreach (var p in _frozenBase) p.requires_grad = true;
        _frozenBase.Clear();
        if (ReferenceEquals(Model.Adapter, this)) Model.Adapter = null;
    }

    /// <summary>Releases the adapter's tensors (the model keeps working without it).</summary>
    public void Dispose() => Remove();
}
