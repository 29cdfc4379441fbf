namespace Trl.Peft;

/// <summary>peft's LoraConfig: which linear layers get a low-rank adapter and how it is built, with peft's defaults
/// (TRL's ModelConfig defaults — r 16, alpha 32, dropout 0.05 — are the CLI's). Read from and written to
/// adapter_config.json with peft's field names.</summary>
public sealed record LoraConfig
{
    /// <summary>Rank r: A is [r, in], B is [out, r].</summary>
    public int R { get; init; } = 8;
    /// <summary>α: the branch is scaled by α/r (α/√r with <see cref="UseRslora"/>).</summary>
    public double LoraAlpha { get; init; } = 8;
    /// <summary>Dropout on the branch's input in training.</summary>
    public double LoraDropout { get; init; }
    /// <summary>Module names (a module matches when its full name equals one or ends with "." + one), or the single
    /// entry <c>all-linear</c> (every linear layer but the output head). Null: the architecture's defaults as peft picks
    /// them (q_proj, v_proj for Llama, Mistral, Qwen2, Qwen3).</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }
    /// <summary>peft's string form of target_modules: a regular expression the full module name must match entirely.
    /// Wins over <see cref="TargetModules"/>.</summary>
    public string? TargetModulesPattern { get; init; }
    /// <summary>Modules never targeted (same matching as <see cref="TargetModules"/>).</summary>
    public IReadOnlyList<string>? ExcludeModules { get; init; }
    /// <summary>Layers trained in full and saved with the adapter (e.g. <c>score</c>), as peft's modules_to_save.</summary>
    public IReadOnlyList<string>? ModulesToSave { get; init; }
    /// <summary>Only these decoder layer indices get adapters (null: all).</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }
    /// <summary>Rank-stabilised scaling α/√r.</summary>
    public bool UseRslora { get; init; }
    /// <summary>DoRA: a trainable magnitude per output feature on top of the low-rank direction update.</summary>
    public bool UseDora { get; init; }
    /// <summary>B gets a bias (zero-initialised), merged into the base bias.</summary>
    public bool LoraBias { get; init; }
    /// <summary>"true" (A Kaiming-uniform, B zeros), "gaussian" (A ~ N(0, 1/r²), B zeros) or "false" (nn.Linear's init).</summary>
    public string InitLoraWeights { get; init; } = "true";
    /// <summary>Base biases trained: only "none" is supported.</summary>
    public string Bias { get; init; } = "none";
    /// <summary>CAUSAL_LM, SEQ_CLS, TOKEN_CLS … (null as in peft).</summary>
    public string? TaskType { get; init; }
    /// <summary>Per-module ranks: the first regex (in order) matching the end of a module's name wins.</summary>
    public IReadOnlyDictionary<string, int>? RankPattern { get; init; }
    /// <summary>Per-module α, matched like <see cref="RankPattern"/>.</summary>
    public IReadOnlyDictionary<string, double>? AlphaPattern { get; init; }
    /// <summary>The base model the adapter belongs to (written to adapter_config.json).</summary>
    public string? BaseModelNameOrPath { get; init; }
    /// <summary>The base model's revision.</summary>
    public string? Revision { get; init; }

    /// <summary>Throws a clear error for values peft would refuse or that are not built here.</summary>
    public void Validate()
    {
        if (R < 1) throw new ArgumentException($"lora_r must be ≥ 1 (got {R}).");
        if (LoraDropout is < 0 or >= 1) throw new ArgumentException($"lora_dropout must be in [0, 1) (got {LoraDropout}).");
        if (Bias != "none") throw new NotSupportedException($"bias '{Bias}' is not supported: only 'none' (TRL always uses none).");
        if (InitLoraWeights is not ("true" or "false" or "gaussian"))
            throw new NotSupportedException($"init_lora_weights '{InitLoraWeights}' is not supported (true, false, gaussian).");
        if (UseDora && LoraBias) throw new ArgumentException("use_dora does not support lora_bias (as in peft).");
    }
}
