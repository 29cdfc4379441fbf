namespace Trl.Cli.Tests;

/// <summary>Runs the trl tool in-process and captures its output and exit code.</summary>
internal static class CliRunner
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    public static string TempDir() => Path.Combine(Path.GetTempPath(), "trl-cli-tests", Guid.NewGuid().ToString("N"));
}
