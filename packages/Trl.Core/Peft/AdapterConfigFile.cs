using System.Text.Json;
using System.Text.Json.Nodes;
using Trl.Tokenization.Jinja;

namespace Trl.Peft;

/// <summary>adapter_config.json as peft 0.21 writes and reads it: every LoraConfig field, keys sorted, two-space
/// indent, Python's number formatting, no final newline; read back ignoring keys peft would drop.</summary>
internal static class AdapterConfigFile
{
    public const string FileName = "adapter_config.json";
    /// <summary>The peft release whose file format this follows.</summary>
    public const string PeftFormatVersion = "0.21.0";

    public static string Write(LoraConfig c, IReadOnlyList<string> targetModules, IReadOnlyList<string>? modulesToSave, (string Class, string Module)? autoMapping)
    {
        static object? List(IEnumerable<string>? xs) => xs?.Select(x => (object?)x).ToList();
        static object Number(double d) => d == Math.Floor(d) && Math.Abs(d) < 1e15 ? (object)(long)d : d;
        static JinjaDict Dict(IEnumerable<KeyValuePair<string, object?>> entries)
        {
            var d = new JinjaDict();
            foreach (var (k, v) in entries) d[k] = v;
            return d;
        }
        var d = new JinjaDict
        {
            ["alora_invocation_tokens"] = null,
            ["alpha_pattern"] = Dict((c.AlphaPattern ?? new Dictionary<string, double>()).Select(kv => new KeyValuePair<string, object?>(kv.Key, Number(kv.Value)))),
            ["arrow_config"] = null,
            ["auto_mapping"] = autoMapping is { } am ? Dict([new("base_model_class", am.Class), new("parent_library", am.Module)]) : null,
            ["base_model_name_or_path"] = c.BaseModelNameOrPath,
            ["bias"] = c.Bias,
            ["corda_config"] = null,
            ["ensure_weight_tying"] = false,
            ["eva_config"] = null,
            ["exclude_modules"] = List(c.ExcludeModules),
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = c.InitLoraWeights switch { "true" => true, "false" => false, var s => s },
            ["kasa_config"] = null,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = c.LayersToTransform?.Select(i => (object?)(long)i).ToList(),
            ["loftq_config"] = new JinjaDict(),
            ["lora_alpha"] = Number(c.LoraAlpha),
            ["lora_bias"] = c.LoraBias,
            ["lora_dropout"] = c.LoraDropout,
            ["lora_ga_config"] = null,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = List(modulesToSave),
            ["monteclora_config"] = null,
            ["peft_type"] = "LORA",
            ["peft_version"] = PeftFormatVersion,
            ["qalora_group_size"] = 16L,
            ["r"] = (long)c.R,
            ["rank_pattern"] = Dict((c.RankPattern ?? new Dictionary<string, int>()).Select(kv => new KeyValuePair<string, object?>(kv.Key, (long)kv.Value))),
            ["revision"] = c.Revision,
            ["target_modules"] = c.TargetModulesPattern ?? (object?)List(targetModules),
            ["target_parameters"] = null,
            ["task_type"] = c.TaskType,
            ["trainable_token_indices"] = null,
            ["use_bdlora"] = null,
            ["use_dora"] = c.UseDora,
            ["use_qalora"] = false,
            ["use_rslora"] = c.UseRslora,
            ["velora_config"] = null,
        };
        return JinjaJson.Dumps(d, indent: 2, separators: (",", ": "), ensureAscii: true, sortKeys: true);
    }

    /// <summary>Reads a LoRA adapter_config.json; other PEFT methods and LoRA options not built here are errors naming the file.</summary>
    public static LoraConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e); }

        string? Str(string key) => o[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new InvalidDataException($"{path}: field '{key}' must be a string."),
        };
        double? Num(string key) => o[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
            _ => throw new InvalidDataException($"{path}: field '{key}' must be a number."),
        };
        bool Bool(string key) => o[key] switch
        {
            null => false,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            _ => throw new InvalidDataException($"{path}: field '{key}' must be true or false."),
        };
        List<string>? Strings(string key) => o[key] switch
        {
            null => null,
            JsonArray a => a.Select((x, i) => x is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                : throw new InvalidDataException($"{path}: {key}[{i}] must be a string.")).ToList(),
            _ => throw new InvalidDataException($"{path}: field '{key}' must be a list of names."),
        };
        void MustBeUnset(string key, string what)
        {
            if (o[key] is not (null or JsonObject { Count: 0 }) && !(o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.False))
                throw new NotSupportedException($"{path}: {key} is set: {what} is not supported.");
        }

        var type = Str("peft_type") ?? "LORA";
        if (type != "LORA") throw new NotSupportedException($"{path}: peft_type '{type}' is not supported (only LORA).");
        MustBeUnset("fan_in_fan_out", "GPT-2 style Conv1D weights");
        MustBeUnset("layer_replication", "layer replication");
        MustBeUnset("target_parameters", "LoRA on raw parameters (MoE experts)");
        MustBeUnset("trainable_token_indices", "trainable token deltas");
        MustBeUnset("use_qalora", "QALoRA");
        MustBeUnset("layers_pattern", "layers_pattern");

        string? pattern = null;
        List<string>? targets = null;
        switch (o["target_modules"])
        {
            case null: break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: pattern = v.GetValue<string>(); break;
            case JsonArray: targets = Strings("target_modules"); break;
            default: throw new InvalidDataException($"{path}: field 'target_modules' must be a string or a list of names.");
        }
        List<int>? layers = o["layers_to_transform"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => [v.GetValue<int>()],
            JsonArray a => a.Select(x => x!.GetValue<int>()).ToList(),
            _ => throw new InvalidDataException($"{path}: field 'layers_to_transform' must be an integer or a list of them."),
        };
        string init = o["init_lora_weights"] switch
        {
            null => "true",
            JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
            JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new InvalidDataException($"{path}: field 'init_lora_weights' must be true, false or a method name."),
        };
        Dictionary<string, T>? Patterns<T>(string key, Func<JsonNode, T> read) => o[key] switch
        {
            null => null,
            JsonObject { Count: 0 } => null,
            JsonObject p => p.ToDictionary(kv => kv.Key, kv => read(kv.Value ?? throw new InvalidDataException($"{path}: {key}['{kv.Key}'] is null."))),
            _ => throw new InvalidDataException($"{path}: field '{key}' must be an object."),
        };
        var config = new LoraConfig
        {
            R = (int)(Num("r") ?? 8),
            LoraAlpha = Num("lora_alpha") ?? 8,
            LoraDropout = Num("lora_dropout") ?? 0,
            TargetModules = targets,
            TargetModulesPattern = pattern,
            ExcludeModules = o["exclude_modules"] is JsonValue ex && ex.GetValueKind() == JsonValueKind.String
                ? throw new NotSupportedException($"{path}: exclude_modules as a regular expression is not supported; list the names.") : Strings("exclude_modules"),
            ModulesToSave = Strings("modules_to_save"),
            LayersToTransform = layers,
            UseRslora = Bool("use_rslora"),
            UseDora = Bool("use_dora"),
            LoraBias = Bool("lora_bias"),
            InitLoraWeights = init,
            Bias = Str("bias") ?? "none",
            TaskType = Str("task_type"),
            RankPattern = Patterns("rank_pattern", n => n.GetValue<int>()),
            AlphaPattern = Patterns("alpha_pattern", n => n.GetValue<double>()),
            BaseModelNameOrPath = Str("base_model_name_or_path"),
            Revision = Str("revision"),
        };
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return config;
    }
}
