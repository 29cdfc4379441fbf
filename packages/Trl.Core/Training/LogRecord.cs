namespace Trl.Training;

/// <summary>One logging step: TRL's metric names to values, plus <c>step</c> and <c>epoch</c>.</summary>
public sealed class LogRecord : Dictionary<string, double>
{
    /// <summary>Creates an empty record.</summary>
    public LogRecord() : base(StringComparer.Ordinal) { }
}
