using Microsoft.Extensions.Logging;

namespace Trl.Training;

/// <summary>Where a trainer built without a logger reports: by default one console line per logging step, evaluation
/// and warning (as transformers' Trainer prints its progress), so training from C# is never silent. Opt out per
/// trainer by passing <c>NullLogger.Instance</c>, or for the process by setting <see cref="Default"/>; a host with its
/// own logging passes its ILogger.</summary>
public static class TrainingLog
{
    /// <summary>One "[trl] …" line per message of level Information or above on standard output.</summary>
    public static ILogger Console { get; } = new ConsoleTrainingLogger();

    /// <summary>The logger trainers use when none is given (<see cref="Console"/> unless a host changes it).</summary>
    public static ILogger Default { get; set; } = Console;

    sealed class ConsoleTrainingLogger : ILogger
    {
        static int Width()
        {
            try { return System.Console.IsOutputRedirected ? 160 : Math.Max(80, System.Console.WindowWidth); }
            catch (IOException) { return 160; }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            ArgumentNullException.ThrowIfNull(formatter);
            var prefix = logLevel >= LogLevel.Warning ? "[trl] warning: " : "[trl] ";
            var line = prefix + formatter(state, exception);
            // A step line carries every metric; on the console it stops at the terminal's width (metrics.jsonl has them all).
            int width = Width();
            if (logLevel < LogLevel.Warning && line.Length > width)
            {
                int cut = line.LastIndexOf(", ", width - 24, StringComparison.Ordinal);
                line = line[..(cut > prefix.Length ? cut : width - 24)] + ", … (metrics.jsonl)";
            }
            System.Console.Out.WriteLine(line);
        }
    }
}
