namespace Trl.Training;

/// <summary>transformers' learning-rate schedules as multipliers of the peak rate at a 0-based step.</summary>
internal static class LearningRateSchedules
{
    /// <summary>Supported lr_scheduler_type values.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "linear", "cosine", "constant", "constant_with_warmup" };

    /// <summary>The multiplier at <paramref name="step"/> (the step about to be taken, from 0).</summary>
    public static double Multiplier(string type, int step, int warmupSteps, int totalSteps) => type switch
    {
        "constant" => 1.0,
        "constant_with_warmup" => step < warmupSteps ? (double)step / Math.Max(1, warmupSteps) : 1.0,
        "linear" => step < warmupSteps ? (double)step / Math.Max(1, warmupSteps)
            : Math.Max(0.0, (double)(totalSteps - step) / Math.Max(1, totalSteps - warmupSteps)),
        "cosine" => step < warmupSteps ? (double)step / Math.Max(1, warmupSteps)
            : Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps)))),
        _ => throw new ArgumentException($"Unknown lr_scheduler_type '{type}'.", nameof(type)),
    };

    /// <summary>Warm-up steps from the options: warmup_steps if set, else ceil(warmup_ratio × total).</summary>
    public static int WarmupSteps(TrainingOptions options, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.WarmupSteps > 0 ? options.WarmupSteps : (int)Math.Ceiling(options.WarmupRatio * totalSteps);
    }
}
