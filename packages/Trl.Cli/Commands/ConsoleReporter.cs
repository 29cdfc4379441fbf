using System.Diagnostics;
using System.Globalization;
using Trl.Training;

namespace Trl.Cli.Commands;

/// <summary>Prints each log record (TRL's metric names) with progress, tokens/s and ETA, and a summary at the end. On an
/// interactive terminal a live bar is redrawn in place after every optimizer step.</summary>
internal sealed class ConsoleReporter(TextWriter output) : ITrainerCallback
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly bool _live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
    double _lastLoss = double.NaN;
    bool _barShown;

    public void OnStepEnd(TrainerState state, TorchSharp.torch.nn.Module model)
    {
        if (!_live) return;
        double elapsed = _clock.Elapsed.TotalSeconds;
        double eta = state.GlobalStep == 0 ? 0 : elapsed / state.GlobalStep * (state.MaxSteps - state.GlobalStep);
        string tps = state.NumTokens > 0 ? $"  {state.NumTokens / Math.Max(elapsed, 1e-9):F0} tok/s" : "";
        string loss = double.IsNaN(_lastLoss) ? "" : $"  loss {_lastLoss:G4}";
        output.Write(string.Create(CultureInfo.InvariantCulture, $"\r{Bar(state)} {state.GlobalStep}/{state.MaxSteps}{loss}{tps}  ETA {eta:F0}s   "));
        _barShown = true;
    }

    public void OnLog(TrainerState state, LogRecord record)
    {
        if (record.TryGetValue("loss", out var l)) _lastLoss = l;
        if (_barShown) { output.Write("\r" + new string(' ', 100) + "\r"); _barShown = false; }
        double elapsed = _clock.Elapsed.TotalSeconds;
        double eta = state.GlobalStep == 0 ? 0 : elapsed / state.GlobalStep * (state.MaxSteps - state.GlobalStep);
        string tps = state.NumTokens > 0 ? $"  {state.NumTokens / Math.Max(elapsed, 1e-9):F0} tok/s" : "";
        string head = string.Create(CultureInfo.InvariantCulture, $"[{state.GlobalStep,5}/{state.MaxSteps}] {Bar(state)} ");
        string tail = string.Create(CultureInfo.InvariantCulture, $"{tps}  ETA {eta:F0}s");
        output.WriteLine(head + Metrics(record, Width() - head.Length - tail.Length) + tail);
    }

    /// <summary>Metrics that fit in <paramref name="room"/> characters, headline ones first; the rest are counted
    /// (every metric is in metrics.jsonl).</summary>
    internal static string Metrics(LogRecord record, int room)
    {
        var items = record.Where(kv => kv.Key is not ("step" or "epoch"))
            .OrderBy(kv => Array.IndexOf(Headline, kv.Key) is var i && i >= 0 ? i : Headline.Length)
            .Select(kv => $"{kv.Key} {kv.Value.ToString("G4", CultureInfo.InvariantCulture)}").ToList();
        var shown = new List<string>();
        int used = 0;
        foreach (var item in items)
        {
            int need = item.Length + (shown.Count > 0 ? 2 : 0);
            // Keep room for the "(+N in metrics.jsonl)" note while items would remain hidden.
            int remaining = items.Count - shown.Count - 1;
            if (used + need + (remaining > 0 ? $"  (+{remaining} in metrics.jsonl)".Length : 0) > room && shown.Count > 0) break;
            shown.Add(item);
            used += need;
        }
        int hidden = items.Count - shown.Count;
        return string.Join("  ", shown) + (hidden > 0 ? $"  (+{hidden} in metrics.jsonl)" : "");
    }

    static readonly string[] Headline =
    [
        "loss", "reward", "objective/scores", "rewards/margins", "rewards/accuracies", "kl", "objective/kl", "entropy",
        "mean_token_accuracy", "accuracy", "grad_norm", "learning_rate",
    ];

    static int Width()
    {
        try { return Console.IsOutputRedirected ? 120 : Math.Max(80, Console.WindowWidth); }
        catch (IOException) { return 120; }
    }

    static string Bar(TrainerState s)
    {
        int filled = s.MaxSteps == 0 ? 0 : (int)(20.0 * s.GlobalStep / s.MaxSteps);
        return "[" + new string('#', filled) + new string('.', 20 - filled) + "]";
    }

    public static void Summary(TextWriter output, TrainerState state)
    {
        if (state.LogHistory.Count == 0) return;
        var first = state.LogHistory[0];
        var last = state.LogHistory[^1];
        output.WriteLine();
        output.WriteLine("metric                       first         last");
        foreach (var key in last.Keys.Where(k => k is not ("step" or "epoch" or "learning_rate")))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key,-24} {(first.TryGetValue(key, out var f) ? f : double.NaN),12:G5} {last[key],12:G5}"));
    }
}
