using System.Globalization;

namespace Trl.Training;

/// <summary>transformers' learning-rate schedules (optimization.py) as multipliers of the peak rate at a 0-based step,
/// with their lr_scheduler_kwargs. reduce_lr_on_plateau (driven by eval metrics) is not offered.</summary>
internal static class LearningRateSchedules
{
    /// <summary>Supported lr_scheduler_type values.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
        "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
    ];

    static readonly Dictionary<string, string[]> Kwargs = new(StringComparer.Ordinal)
    {
        ["linear"] = [], ["constant"] = [], ["constant_with_warmup"] = [], ["inverse_sqrt"] = [],
        ["cosine"] = ["num_cycles", "min_lr_rate"], ["cosine_with_restarts"] = ["num_cycles"], ["polynomial"] = ["lr_end", "power"],
        ["cosine_with_min_lr"] = ["num_cycles", "min_lr", "min_lr_rate"], ["cosine_warmup_with_min_lr"] = ["num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"],
        ["warmup_stable_decay"] = ["num_decay_steps", "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio", "num_cycles", "num_training_steps"],
    };

    /// <summary>Refuses what transformers refuses: an unknown kwarg, a missing required one, a bad choice.</summary>
    public static void Validate(string type, IReadOnlyDictionary<string, string> kwargs, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(kwargs);
        if (!Kwargs.TryGetValue(type, out var allowed)) return;
        // transformers ignores kwargs for these (get_scheduler passes only the warmup).
        if (type is "constant" or "constant_with_warmup" or "inverse_sqrt") return;
        foreach (var k in kwargs.Keys)
            if (!allowed.Contains(k)) throw new ArgumentException($"lr_scheduler_kwargs: '{k}' is not an argument of the {type} schedule ({(allowed.Length == 0 ? "it takes none" : string.Join(", ", allowed))}).");
        if (type is "cosine_with_min_lr" or "cosine_warmup_with_min_lr" && kwargs.ContainsKey("min_lr") == kwargs.ContainsKey("min_lr_rate"))
            throw new ArgumentException($"lr_scheduler_kwargs: the {type} schedule needs exactly one of min_lr or min_lr_rate.");
        if (type == "polynomial" && learningRate <= Number(kwargs, "lr_end", 1e-7))
            throw new ArgumentException($"lr_scheduler_kwargs: lr_end ({Number(kwargs, "lr_end", 1e-7)}) must be smaller than learning_rate ({learningRate}).");
        if (type == "warmup_stable_decay")
        {
            if (!kwargs.ContainsKey("num_decay_steps")) throw new ArgumentException("lr_scheduler_kwargs: the warmup_stable_decay schedule needs num_decay_steps.");
            foreach (var k in new[] { "warmup_type", "decay_type" })
                if (kwargs.TryGetValue(k, out var v) && v is not ("linear" or "cosine" or "1-sqrt"))
                    throw new ArgumentException($"lr_scheduler_kwargs: {k} must be linear, cosine or 1-sqrt (got '{v}').");
        }
    }

    /// <summary>The multiplier at <paramref name="step"/> (the step about to be taken, from 0), for
    /// <paramref name="warmupSteps"/> W and <paramref name="totalSteps"/> T, as transformers' LambdaLR computes it.</summary>
    public static double Multiplier(string type, int step, int warmupSteps, int totalSteps) =>
        Multiplier(type, step, warmupSteps, totalSteps, new Dictionary<string, string>(), 1.0);

    /// <inheritdoc cref="Multiplier(string, int, int, int)"/>
    public static double Multiplier(string type, int step, int warmupSteps, int totalSteps, IReadOnlyDictionary<string, string> kwargs, double learningRate)
    {
        double s = step, w = warmupSteps, t = totalSteps;
        double Warmup() => s / Math.Max(1, w);
        double Progress() => (s - w) / Math.Max(1, t - w);
        switch (type)
        {
            case "constant": return 1.0;
            case "constant_with_warmup": return step < warmupSteps ? Warmup() : 1.0;
            case "linear": return step < warmupSteps ? Warmup() : Math.Max(0.0, (t - s) / Math.Max(1, t - w));
            case "cosine":
            {
                if (step < warmupSteps) return Warmup();
                double minRate = Number(kwargs, "min_lr_rate", 0);
                double factor = 0.5 * (1.0 + Math.Cos(Math.PI * Number(kwargs, "num_cycles", 0.5) * 2.0 * Progress()));
                return Math.Max(0.0, factor * (1 - minRate) + minRate);
            }
            case "cosine_with_restarts":
            {
                if (step < warmupSteps) return Warmup();
                double progress = Progress();
                if (progress >= 1.0) return 0.0;
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (Number(kwargs, "num_cycles", 1) * progress % 1.0))));
            }
            case "polynomial":
            {
                double lrEnd = Number(kwargs, "lr_end", 1e-7), power = Number(kwargs, "power", 1.0);
                if (step < warmupSteps) return Warmup();
                if (step > totalSteps) return lrEnd / learningRate;
                double remaining = 1 - (s - w) / (t - w);
                return ((learningRate - lrEnd) * Math.Pow(remaining, power) + lrEnd) / learningRate;
            }
            case "inverse_sqrt":
            {
                if (step < warmupSteps) return Warmup();
                double timescale = warmupSteps > 0 ? w : 10_000;
                return 1.0 / Math.Sqrt((s + timescale - w) / timescale);
            }
            case "cosine_with_min_lr":
            {
                if (step < warmupSteps) return Warmup();
                double minRate = MinLrRate(kwargs, learningRate);
                double factor = 0.5 * (1.0 + Math.Cos(Math.PI * Number(kwargs, "num_cycles", 0.5) * 2.0 * Progress()));
                return Math.Max(0, factor * (1 - minRate) + minRate);
            }
            case "cosine_warmup_with_min_lr":
            {
                if (step < warmupSteps)
                    return kwargs.ContainsKey("warmup_lr_rate")
                        ? Number(kwargs, "warmup_lr_rate", 0) + (1 - Number(kwargs, "warmup_lr_rate", 0)) * s / Math.Max(1, w - 1)
                        : (s + 1.0) / Math.Max(1.0, w);
                double minRate = MinLrRate(kwargs, learningRate);
                double progress = (s - w + 1.0) / Math.Max(1.0, t - w);
                double factor = 0.5 * (1.0 + Math.Cos(Math.PI * Number(kwargs, "num_cycles", 0.5) * 2.0 * progress));
                return Math.Max(0, factor * (1 - minRate) + minRate);
            }
            case "warmup_stable_decay":
            {
                double decay = Number(kwargs, "num_decay_steps", 0);
                double stable = kwargs.ContainsKey("num_stable_steps") ? Number(kwargs, "num_stable_steps", 0) : t - w - decay;
                double minRatio = Number(kwargs, "min_lr_ratio", 0), cycles = Number(kwargs, "num_cycles", 0.5);
                string warmupType = kwargs.GetValueOrDefault("warmup_type", "linear"), decayType = kwargs.GetValueOrDefault("decay_type", "cosine");
                if (s < w)
                {
                    double p = Warmup();
                    double f = warmupType switch { "cosine" => 0.5 * (1.0 - Math.Cos(Math.PI * p)), "1-sqrt" => 1.0 - Math.Sqrt(1.0 - p), _ => p };
                    return Math.Max(0.0, f * (1.0 - minRatio) + minRatio);
                }
                if (s < w + stable) return 1.0;
                if (s < w + stable + decay)
                {
                    double p = (s - w - stable) / Math.Max(1, decay);
                    double f = decayType switch { "linear" => 1.0 - p, "1-sqrt" => 1.0 - Math.Sqrt(p), _ => 0.5 * (1.0 + Math.Cos(Math.PI * cycles * 2.0 * p)) };
                    return Math.Max(0.0, f * (1.0 - minRatio) + minRatio);
                }
                return minRatio;
            }
            default: throw new ArgumentException($"Unknown lr_scheduler_type '{type}'.", nameof(type));
        }
    }

    static double MinLrRate(IReadOnlyDictionary<string, string> kwargs, double learningRate) =>
        kwargs.ContainsKey("min_lr") ? Number(kwargs, "min_lr", 0) / learningRate : Number(kwargs, "min_lr_rate", 0);

    static double Number(IReadOnlyDictionary<string, string> kwargs, string key, double fallback)
    {
        if (!kwargs.TryGetValue(key, out var text)) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"lr_scheduler_kwargs: {key} must be a number (got '{text}').");
    }

    /// <summary>Warm-up steps from the options: warmup_steps if set, else ceil(warmup_ratio × total).</summary>
    public static int WarmupSteps(TrainingOptions options, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.WarmupSteps > 0 ? options.WarmupSteps : (int)Math.Ceiling(options.WarmupRatio * totalSteps);
    }
}
