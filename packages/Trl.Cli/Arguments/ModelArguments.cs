using Trl.Peft;

namespace Trl.Cli.Arguments;

/// <summary>TRL's ModelConfig keys: the weights' dtype (dtype / torch_dtype) and PEFT (use_peft, lora_r …) with TRL's
/// defaults, the latter turned into a <see cref="LoraConfig"/> as trl's get_peft_config does (bias none). One difference, where TRL would fail: a single
/// <c>lora_target_modules</c> value TRL turns into a regular expression, so a plain name such as <c>q_proj</c> matches
/// nothing there; here a single value without regex characters is a module name, and one with them is a pattern.</summary>
internal sealed class ModelArguments
{
    /// <summary>float32, bfloat16, float16 or auto (the checkpoint's config.json dtype); null: float32, as transformers loads.</summary>
    public string? Dtype { get; set; }
    public bool UsePeft { get; set; }
    public int LoraR { get; set; } = 16;
    public int LoraAlpha { get; set; } = 32;
    public double LoraDropout { get; set; } = 0.05;
    public IReadOnlyList<string>? LoraTargetModules { get; set; }
    public IReadOnlyList<string>? LoraTargetParameters { get; set; }
    public IReadOnlyList<string>? LoraModulesToSave { get; set; }
    public string LoraTaskType { get; set; } = "CAUSAL_LM";
    public bool UseRslora { get; set; }
    public bool UseDora { get; set; }
    public bool LoadIn4bit { get; set; }
    public bool LoadIn8bit { get; set; }

    public static readonly (string Key, string Default, string Help)[] Fields =
    {
        ("dtype", "None", "load the weights as float32, bfloat16 or auto (the checkpoint's dtype); torch_dtype is the same"),
        ("use_peft", "False", "train a LoRA adapter instead of the full model (output_dir then holds the adapter)"),
        ("lora_r", "16", "LoRA rank"),
        ("lora_alpha", "32", "LoRA alpha (scaling alpha/r)"),
        ("lora_dropout", "0.05", "dropout on the LoRA branch"),
        ("lora_target_modules", "None", "module names, all-linear, or one regular expression (None: q_proj,v_proj for the supported families)"),
        ("lora_modules_to_save", "None", "layers trained in full and saved with the adapter (a classifier's score is always)"),
        ("lora_task_type", "CAUSAL_LM", "peft task type (SEQ_CLS for reward models)"),
        ("use_rslora", "False", "rank-stabilised scaling alpha/sqrt(r)"),
        ("use_dora", "False", "DoRA (weight-decomposed LoRA)"),
        ("adapter_path", "None", "a PEFT adapter folder to load onto --model_name_or_path (an adapter folder there works too)"),
    };

    /// <summary>The lora_* keys that were given (they need use_peft).</summary>
    List<string> Given { get; } = new();

    /// <summary>Binds the keys present in <paramref name="args"/> (removing them).</summary>
    public static ModelArguments Take(CliArguments args)
    {
        var given = args.Values.Keys.Where(k => k.StartsWith("lora_", StringComparison.Ordinal) || k is "use_dora" or "use_rslora").ToList();
        var peft = new ModelArguments();
        if (args.Take("torch_dtype") is { } legacy) peft.Dtype = legacy;
        // transformers spells these load_in_4bit / load_in_8bit (the digit is its own word).
        if (args.Take("load_in_4bit") is { } q4) peft.LoadIn4bit = bool.Parse(q4);
        if (args.Take("load_in_8bit") is { } q8) peft.LoadIn8bit = bool.Parse(q8);
        ConfigBinder.Bind(peft, args);
        peft.Given.AddRange(given);
        return peft;
    }

    /// <summary>The dtype to load weights in (null: as stored, which for float32 checkpoints is float32), or an error
    /// naming the value.</summary>
    public TorchSharp.torch.ScalarType? LoadDtype(string? modelPath)
    {
        switch (Dtype)
        {
            case null or "None" or "float32": return Dtype is null or "None" ? null : TorchSharp.torch.ScalarType.Float32;
            case "bfloat16": return TorchSharp.torch.ScalarType.BFloat16;
            case "float16": throw new CliException("dtype float16 is not supported: fp16 training needs loss scaling, which is not built; use bfloat16.");
            case "auto":
                if (modelPath is null) return null;
                var stored = Trl.Modeling.ModelConfig.Load(Path.Combine(modelPath, "config.json")).Raw;
                var name = (stored["dtype"] ?? stored["torch_dtype"])?.GetValue<string>();
                return name switch
                {
                    null or "float32" => TorchSharp.torch.ScalarType.Float32,
                    "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
                    _ => throw new CliException($"dtype auto: the checkpoint's dtype '{name}' is not supported (float32, bfloat16)."),
                };
            default: throw new CliException($"dtype '{Dtype}' is not supported (float32, bfloat16, auto).");
        }
    }

    /// <summary>The adapter config, or null without use_peft. Quantised bases are refused with the reason.</summary>
    public LoraConfig? ToLoraConfig(string? baseModel)
    {
        if (LoadIn4bit || LoadIn8bit)
            throw new CliException("load_in_4bit / load_in_8bit (QLoRA) are not supported: bitsandbytes quantisation has no TorchSharp kernels; train LoRA on a bf16 or fp32 base instead.");
        if (!UsePeft)
        {
            if (Given.Count > 0)
                throw new CliException($"{string.Join(", ", Given)} set but use_peft is false: add --use_peft true.");
            return null;
        }
        if (LoraTargetParameters is { Count: > 0 })
            throw new CliException("lora_target_parameters (LoRA on raw parameters, for MoE experts) is not supported.");
        IReadOnlyList<string>? names = LoraTargetModules;
        string? pattern = null;
        if (names is [var single] && single != "all-linear" && single.IndexOfAny(['.', '*', '+', '?', '[', ']', '(', ')', '{', '}', '|', '\\', '^', '$']) >= 0)
        {
            pattern = single;
            names = null;
        }
        return new LoraConfig
        {
            R = LoraR, LoraAlpha = LoraAlpha, LoraDropout = LoraDropout, TargetModules = names, TargetModulesPattern = pattern,
            ModulesToSave = LoraModulesToSave, TaskType = LoraTaskType, UseRslora = UseRslora, UseDora = UseDora,
            BaseModelNameOrPath = baseModel is null ? null : Path.GetFullPath(baseModel),
        };
    }
}
