namespace Trl.Cli.Commands;

/// <summary>Process exit codes of the trl tool.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Anything unexpected (reported on one line; please file it).</summary>
    public const int Failure = 1;
    public const int BadConfig = 2;
    public const int BadData = 3;
    public const int MissingFile = 4;
    /// <summary>Output could not be written (a file where a folder belongs, no permission, read-only, disk full).</summary>
    public const int OutputError = 5;
    /// <summary>A NaN/Inf loss or gradient stopped training (the last good state is saved as a checkpoint).</summary>
    public const int NumericalFailure = 6;
    /// <summary>The Hugging Face Hub could not provide a model or dataset (not found, access denied, offline with nothing cached, unreachable).</summary>
    public const int HubError = 7;
    /// <summary>SIGINT/SIGTERM: training stopped at the end of a step and saved a checkpoint (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}
