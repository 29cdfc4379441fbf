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
        var metrics = string.Join("  ", record.Where(kv => kv.Key is not ("step" or "epoch"))
            .Select(kv => $"{kv.Key} {kv.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
        string tps = state.NumTokens > 0 ? $"  {state.NumTokens / Math.Max(elapsed, 1e-9):F0} tok/s" : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{state.GlobalStep,5}/{state.MaxSteps}] {Bar(state)} {metrics}{tps}  ETA {eta:F0}s"));
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
