namespace Trl.Cli.Commands;

/// <summary>Experimental subcommands say so when they run: their trainer package is a prerelease whose API and
/// numbers may still change (the tool bundles it; no stable package depends on it).</summary>
internal static class ExperimentalNotice
{
    public static void Write(TextWriter output, string command, string package) =>
        output.WriteLine($"trl {command}: experimental — runs the prerelease package {package}; its options and results may change between versions.");
}
