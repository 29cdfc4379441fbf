using System.Globalization;
using Trl.Training;

namespace Trl.Cli.Plotting;

/// <summary>Draws output_dir/training_curves.png: one panel per main metric (loss first, then the trainer's headline
/// metrics), each value against the step, with its range and the step range written on the axes.</summary>
internal static class TrainingCurves
{
    // Headline metrics in order of preference; the first ones present (after loss) get a panel.
    static readonly string[] Preferred =
    {
        "reward", "rewards/margins", "rewards/accuracies", "accuracy", "mean_token_accuracy", "kl", "entropy",
        "reward_std", "completions/mean_length", "grad_norm", "learning_rate",
    };

    const int PanelWidth = 420, PanelHeight = 240, Columns = 2, Margin = 40;
    static readonly (byte, byte, byte) Ink = (40, 40, 40), Curve = (31, 119, 180), Grid = (225, 225, 225);

    /// <summary>Writes the PNG and returns the metrics it shows (none: nothing written).</summary>
    public static IReadOnlyList<string> Save(IReadOnlyList<LogRecord> history, string path, int maxPanels = 6)
    {
        ArgumentNullException.ThrowIfNull(history);
        var keys = new[] { "loss" }.Concat(Preferred)
            .Where(k => history.Count(r => r.TryGetValue(k, out var v) && double.IsFinite(v)) >= 1)
            .Take(maxPanels).ToList();
        if (keys.Count == 0) return keys;
        int rows = (keys.Count + Columns - 1) / Columns;
        var image = new PngImage(PanelWidth * Columns, PanelHeight * rows);
        for (int i = 0; i < keys.Count; i++)
            Panel(image, (i % Columns) * PanelWidth, (i / Columns) * PanelHeight, keys[i],
                history.Where(r => r.TryGetValue(keys[i], out var v) && double.IsFinite(v)).Select(r => (r["step"], r[keys[i]])).ToList());
        image.Save(path);
        return keys;
    }

    static void Panel(PngImage image, int left, int top, string name, List<(double Step, double Value)> points)
    {
        int x0 = left + Margin + 30, x1 = left + PanelWidth - 15, y0 = top + PanelHeight - Margin, y1 = top + 30;
        PixelFont.Draw(image, left + Margin, top + 8, name, Ink, scale: 2);
        double minStep = points.Min(p => p.Step), maxStep = points.Max(p => p.Step);
        double minValue = points.Min(p => p.Value), maxValue = points.Max(p => p.Value);
        if (maxValue - minValue < 1e-12) { minValue -= 0.5; maxValue += 0.5; }
        if (maxStep - minStep < 1e-12) maxStep = minStep + 1;
        for (int g = 0; g <= 4; g++)
        {
            int y = y0 - (y0 - y1) * g / 4;
            image.Line(x0, y, x1, y, Grid);
        }
        image.Line(x0, y0, x1, y0, Ink);
        image.Line(x0, y0, x0, y1, Ink);
        PixelFont.Draw(image, left + 4, y1 - 3, Format(maxValue), Ink);
        PixelFont.Draw(image, left + 4, y0 - 3, Format(minValue), Ink);
        PixelFont.Draw(image, x0, y0 + 8, Format(minStep), Ink);
        var stepLabel = "step " + Format(maxStep);
        PixelFont.Draw(image, x1 - 6 * stepLabel.Length, y0 + 8, stepLabel, Ink);
        int Px(double s) => x0 + (int)Math.Round((s - minStep) / (maxStep - minStep) * (x1 - x0));
        int Py(double v) => y0 - (int)Math.Round((v - minValue) / (maxValue - minValue) * (y0 - y1));
        for (int i = 1; i < points.Count; i++)
            image.Line(Px(points[i - 1].Step), Py(points[i - 1].Value), Px(points[i].Step), Py(points[i].Value), Curve, thickness: 2);
        if (points.Count == 1) image.Line(Px(points[0].Step), Py(points[0].Value), Px(points[0].Step) + 1, Py(points[0].Value), Curve, thickness: 3);
    }

    static string Format(double v) => v.ToString(Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-3 && v != 0) ? "0.##e+0" : "G4", CultureInfo.InvariantCulture);
}
