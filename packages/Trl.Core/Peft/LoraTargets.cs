using System.Text.RegularExpressions;
using Trl.Modeling;

namespace Trl.Peft;

/// <summary>peft's rules for which modules a LoraConfig adapts and which it trains in full (modules_to_save).</summary>
internal static class LoraTargets
{
    /// <summary>peft's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING for the supported families.</summary>
    static readonly Dictionary<string, string[]> Defaults = new(StringComparer.Ordinal)
    {
        ["llama"] = ["q_proj", "v_proj"], ["mistral"] = ["q_proj", "v_proj"], ["qwen2"] = ["q_proj", "v_proj"], ["qwen3"] = ["q_proj", "v_proj"],
    };

    static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>A module name matches a list entry when it equals it or ends with "." + it.</summary>
    public static bool MatchesName(string key, IEnumerable<string> names) =>
        names.Any(t => key == t || key.EndsWith("." + t, StringComparison.Ordinal));

    static bool FullMatch(string pattern, string key) => Regex.IsMatch(key, $"^(?:{pattern})$", RegexOptions.None, RegexTimeout);

    /// <summary>peft's modules_to_save exclusion: <c>(^|.*\.)m($|\..*)</c>.</summary>
    public static bool IsUnder(string key, IEnumerable<string> modules) =>
        modules.Any(m => Regex.IsMatch(key, $@"^(.*\.)?{Regex.Escape(m)}($|\..*)", RegexOptions.None, RegexTimeout));

    /// <summary>The index of the first numbered segment (<c>model.layers.3.self_attn.q_proj</c> → 3), as peft reads it.</summary>
    static int? LayerIndex(string key)
    {
        var m = Regex.Match(key, @"^.*?\.[^.]*\.(\d+)\.", RegexOptions.None, RegexTimeout);
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The modules to adapt, in the model's module order (which fixes the order of the init draws).</summary>
    public static List<(string Name, Projection Layer)> Select(PretrainedModel model, LoraConfig config, IReadOnlyList<string> modulesToSave)
    {
        var modules = model.named_modules().ToList();
        bool allLinear = config.TargetModulesPattern is null && config.TargetModules is [var single] && string.Equals(single, "all-linear", StringComparison.OrdinalIgnoreCase);
        IReadOnlyList<string>? names = config.TargetModulesPattern is null && !allLinear
            ? config.TargetModules ?? (Defaults.TryGetValue(model.Config.ModelType, out var d) ? d
                : throw new ArgumentException($"There are no default LoRA target modules for model_type '{model.Config.ModelType}': set lora_target_modules."))
            : null;
        var chosen = new List<(string, Projection)>();
        foreach (var (key, module) in modules)
        {
            if (key.Length == 0 || IsUnder(key, modulesToSave)) continue;
            bool target = allLinear ? module is Projection
                : config.TargetModulesPattern is { } pattern ? FullMatch(pattern, key)
                : MatchesName(key, names!) && (config.LayersToTransform is null || LayerIndex(key) is int i && config.LayersToTransform.Contains(i));
            if (!target) continue;
            if (config.ExcludeModules is { } ex && MatchesName(key, ex)) continue;
            if (module is not Projection p)
                throw new NotSupportedException($"LoRA target '{key}' is a {module.GetType().Name}: only the decoder's linear projections and classification heads can be adapted here (embedding and lm_head adapters are not built).");
            chosen.Add((key, p));
        }
        if (chosen.Count == 0)
            throw new ArgumentException($"Target modules {Describe(config)} not found in the base model. Please check the target modules and try again.");
        return chosen;
    }

    /// <summary>The modules_to_save layers, each a projection (named as in the model).</summary>
    public static List<(string Name, Projection Layer)> SelectModulesToSave(PretrainedModel model, IReadOnlyList<string> modulesToSave)
    {
        var chosen = new List<(string, Projection)>();
        if (modulesToSave.Count == 0) return chosen;
        foreach (var (key, module) in model.named_modules())
        {
            if (key.Length == 0 || !MatchesName(key, modulesToSave)) continue;
            if (module is not Projection p)
                throw new NotSupportedException($"modules_to_save '{key}' is a {module.GetType().Name}: only linear layers (e.g. a classification head 'score') can be trained in full with an adapter here.");
            chosen.Add((key, p));
        }
        return chosen;
    }

    /// <summary>A module's rank and α: the first rank_pattern/alpha_pattern key matching the end of its name, else r and lora_alpha.</summary>
    public static (int R, double Alpha) RankAndAlpha(string key, LoraConfig config)
    {
        int r = config.R;
        double alpha = config.LoraAlpha;
        if (config.RankPattern is { } rp)
            foreach (var (pattern, value) in rp)
                if (Regex.IsMatch(key, $@"^(.*\.)?({pattern})$", RegexOptions.None, RegexTimeout)) { r = value; break; }
        if (config.AlphaPattern is { } ap)
            foreach (var (pattern, value) in ap)
                if (Regex.IsMatch(key, $@"^(.*\.)?({pattern})$", RegexOptions.None, RegexTimeout)) { alpha = value; break; }
        return (r, alpha);
    }

    /// <summary>target_modules as peft saves them: the adapted modules' full names (all-linear expanded), condensed to
    /// their last segments when there are 20 or more and those segments select exactly the same modules.</summary>
    public static List<string> Saved(PretrainedModel model, LoraConfig config, IReadOnlyList<string> adapted)
    {
        if (config.TargetModulesPattern is not null) return [];
        bool allLinear = config.TargetModules is [var single] && string.Equals(single, "all-linear", StringComparison.OrdinalIgnoreCase);
        if (!allLinear) return (config.TargetModules ?? (Defaults.TryGetValue(model.Config.ModelType, out var d) ? d : [])).Distinct().Order(StringComparer.Ordinal).ToList();
        if (adapted.Count < 20) return adapted.Order(StringComparer.Ordinal).ToList();
        var suffixes = adapted.Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct().ToList();
        var all = model.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
        bool exact = all.Where(n => MatchesName(n, suffixes)).ToHashSet().SetEquals(adapted);
        return (exact ? suffixes : adapted).Order(StringComparer.Ordinal).ToList();
    }

    static string Describe(LoraConfig config) =>
        config.TargetModulesPattern is { } p ? $"'{p}'" : config.TargetModules is { } t ? "{" + string.Join(", ", t.Select(x => $"'{x}'")) + "}" : "(the defaults)";
}
