namespace Trl.Cli.Commands;

/// <summary>Process exit codes of the trl tool.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadConfig = 2;
    public const int BadData = 3;
    public const int MissingFile = 4;
}
