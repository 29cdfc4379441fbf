using Trl.Rewards;

namespace Trl.Training;

/// <summary>report_to tensorboard: every log record as scalars under transformers' tags (<c>eval_x</c> → <c>eval/x</c>,
/// everything else → <c>train/x</c>, at the global step), and sampled completions as a text table.</summary>
public sealed class TensorBoardCallback(string logDir) : ITrainerCallback, IDisposable
{
    readonly TensorBoardWriter _writer = new(logDir);

    /// <summary>The folder the event file is in.</summary>
    public string LogDir => _writer.LogDir;

    /// <summary>The run's arguments as JSON text at step 0 (TRL's field names), as transformers' TensorBoard callback
    /// writes them under the tag "args".</summary>
    public void WriteArguments(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string json;
        try
        {
            json = System.Text.Json.JsonSerializer.Serialize(options, options.GetType(),
                new System.Text.Json.JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower });
        }
        // A trainer's config with a field JSON cannot write (a delegate …) still trains; only this text is lost.
        catch (NotSupportedException) { return; }
        _writer.AddText("args", json, 0);
    }

    /// <inheritdoc />
    public void OnLog(TrainerState state, LogRecord record)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(record);
        foreach (var (key, value) in record)
        {
            if (key == "step") continue;
            var tag = key.StartsWith("eval_", StringComparison.Ordinal) ? "eval/" + key[5..]
                : key.StartsWith("test_", StringComparison.Ordinal) ? "test/" + key[5..] : "train/" + key;
            _writer.AddScalar(tag, value, state.GlobalStep);
        }
    }

    /// <inheritdoc />
    public void OnSamples(TrainerState state, IReadOnlyList<CompletionSample> samples)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return;
        var names = samples[0].Rewards.Keys.ToList();
        var sb = new System.Text.StringBuilder($"| step | prompt | completion | {string.Join(" | ", names)} |\n|---|---|---|{string.Concat(names.Select(_ => "---|"))}\n");
        foreach (var s in samples)
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"| {s.Step} | {Cell(s.Prompt)} | {Cell(s.Completion)} | {string.Join(" | ", names.Select(n => s.Rewards.TryGetValue(n, out var v) ? v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : ""))} |\n");
        _writer.AddText("completions", sb.ToString(), state.GlobalStep);
    }

    static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
