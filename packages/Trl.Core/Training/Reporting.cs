namespace Trl.Training;

/// <summary>transformers' report_to values: which integrations exist here (TensorBoard), and which are known but not
/// available (the trainer says so once; metrics.jsonl always has every metric).</summary>
public static class Reporting
{
    /// <summary>Every value transformers' report_to accepts.</summary>
    public static readonly IReadOnlyList<string> Known =
    [
        "none", "all", "tensorboard", "wandb", "trackio", "mlflow", "comet_ml", "clearml", "dagshub", "dvclive", "flyte",
        "neptune", "swanlab", "codecarbon", "azure_ml",
    ];

    /// <summary>The integrations Trl.NET writes.</summary>
    public static readonly IReadOnlyList<string> Available = ["tensorboard"];

    /// <summary>Whether the options ask for TensorBoard event files (tensorboard or all).</summary>
    public static bool WritesTensorBoard(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ReportTo.Contains("tensorboard") || options.ReportTo.Contains("all");
    }

    /// <summary>The integrations asked for that do not exist here.</summary>
    public static IReadOnlyList<string> Unavailable(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ReportTo.Where(r => r is not ("none" or "all") && !Available.Contains(r)).Distinct().ToList();
    }

    /// <summary>The one-line notice for an integration that does not exist here.</summary>
    public static string UnavailableNotice(string integration, string outputDir) =>
        $"report_to {integration}: this integration is not available in Trl.NET; every metric is in {Path.Combine(outputDir, "metrics.jsonl")} (report_to tensorboard writes TensorBoard event files).";

    /// <summary>TensorBoard's folder: logging_dir, else output_dir/runs/MonDD_HH-MM-SS_host as transformers names it.</summary>
    public static string TensorBoardDir(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.LoggingDir ?? Path.Combine(options.OutputDir, "runs",
            DateTime.Now.ToString("MMMdd_HH-mm-ss", System.Globalization.CultureInfo.InvariantCulture) + "_" + Environment.MachineName);
    }
}
