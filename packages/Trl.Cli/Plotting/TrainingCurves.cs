using SkiaSharp;
using Trl.Training;

namespace Trl.Cli.Plotting;

/// <summary>Draws output_dir/training_curves.png with ScottPlot: one titled panel per main metric (loss first, then the
/// trainer's headline metrics) against the optimizer step, with axis labels and ticks, the raw curve, a smoothed one
/// (TensorBoard's exponential smoothing, 0.6) and the evaluation points (eval_&lt;metric&gt;) where there are any.</summary>
internal static class TrainingCurves
{
    // Headline metrics in order of preference; the first ones present (after loss) get a panel.
    static readonly string[] Preferred =
    [
        "reward", "objective/scores", "rewards/margins", "rewards/accuracies", "accuracy", "mean_token_accuracy", "kl",
        "entropy", "reward_std", "completions/mean_length", "grad_norm", "learning_rate",
    ];

    const int PanelWidth = 560, PanelHeight = 360, Columns = 2;
    const double Smoothing = 0.6;

    /// <summary>Writes the PNG and returns the metrics it shows (none: nothing written).</summary>
    public static IReadOnlyList<string> Save(IReadOnlyList<LogRecord> history, string path, int maxPanels = 6)
    {
        ArgumentNullException.ThrowIfNull(history);
        var keys = new[] { "loss" }.Concat(Preferred)
            .Where(k => history.Any(r => r.TryGetValue(k, out var v) && double.IsFinite(v)) && !history.All(r => !r.ContainsKey("step")))
            .Take(maxPanels).ToList();
        if (keys.Count == 0) return keys;
        int rows = (keys.Count + Columns - 1) / Columns;
        using var surface = SKSurface.Create(new SKImageInfo(PanelWidth * Math.Min(Columns, keys.Count), PanelHeight * rows));
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < keys.Count; i++)
        {
            using var panel = SKBitmap.Decode(Panel(history, keys[i]));
            surface.Canvas.DrawBitmap(panel, (i % Columns) * PanelWidth, (i / Columns) * PanelHeight);
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, png.ToArray());
        File.Move(tmp, path, overwrite: true);
        return keys;
    }

    static byte[] Panel(IReadOnlyList<LogRecord> history, string metric)
    {
        var train = history.Where(r => r.TryGetValue(metric, out var v) && double.IsFinite(v) && r.ContainsKey("step")).ToList();
        double[] steps = train.Select(r => r["step"]).ToArray(), values = train.Select(r => r[metric]).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Title(metric);
        plot.XLabel("step");
        plot.YLabel(metric);
        var raw = plot.Add.Scatter(steps, values);
        raw.LegendText = "logged";
        raw.Color = ScottPlot.Colors.SteelBlue.WithAlpha(0.35);
        raw.MarkerSize = steps.Length > 40 ? 0 : 4;
        if (steps.Length >= 3)
        {
            var smooth = plot.Add.Scatter(steps, Smoothed(values));
            smooth.LegendText = $"smoothed ({Smoothing})";
            smooth.Color = ScottPlot.Colors.SteelBlue;
            smooth.LineWidth = 2;
            smooth.MarkerSize = 0;
        }
        var eval = history.Where(r => r.TryGetValue("eval_" + metric, out var v) && double.IsFinite(v) && r.ContainsKey("step")).ToList();
        if (eval.Count > 0)
        {
            var points = plot.Add.Scatter(eval.Select(r => r["step"]).ToArray(), eval.Select(r => r["eval_" + metric]).ToArray());
            points.LegendText = "eval";
            points.Color = ScottPlot.Colors.OrangeRed;
            points.MarkerSize = 7;
            points.LineWidth = 1;
        }
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetImageBytes(PanelWidth, PanelHeight, ScottPlot.ImageFormat.Png);
    }

    /// <summary>TensorBoard's smoothing: a debiased exponential moving average.</summary>
    internal static double[] Smoothed(IReadOnlyList<double> values, double weight = Smoothing)
    {
        var result = new double[values.Count];
        double last = 0;
        for (int i = 0; i < values.Count; i++)
        {
            last = last * weight + (1 - weight) * values[i];
            result[i] = last / (1 - Math.Pow(weight, i + 1));
        }
        return result;
    }
}
