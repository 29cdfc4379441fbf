using Trl.Cli.Commands;

namespace Trl.Cli.Tests;

/// <summary>The trainer registry drives the tool: every registered subcommand is listed in <c>trl --help</c> under its
/// stage with its package, answers <c>--help</c> with its config's fields, runs two steps on the embedded default and
/// says it is experimental exactly when its package is a prerelease.</summary>
public class RegistryTests
{
    public static IEnumerable<TestCaseData> Commands() => TrainerCommands.All.Select(c => new TestCaseData(c.Name).SetName($"RegisteredSubcommandRuns({c.Name})"));

    [Test]
    public void TheUsageListsEveryTrainerUnderItsStage()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.That(code, Is.EqualTo(0));
        int experimental = output.IndexOf("experimental (prerelease", StringComparison.Ordinal);
        foreach (var c in TrainerCommands.All)
        {
            int at = output.IndexOf($"  {c.Name} ", StringComparison.Ordinal);
            Assert.That(at, Is.GreaterThan(0), c.Name);
            Assert.That(output, Does.Contain(c.PackageId), c.Name);
            Assert.That(at > experimental, Is.EqualTo(c.Experimental), $"{c.Name} is listed under the wrong stage");
        }
    }

    [TestCaseSource(nameof(Commands))]
    public void RegisteredSubcommandRunsOnTheEmbeddedDefault(string name)
    {
        var command = TrainerCommands.All.Single(c => c.Name == name);
        var (helpCode, help, _) = CliRunner.Run(name, "--help");
        Assert.That(helpCode, Is.EqualTo(0));
        Assert.That(help, Does.Contain("--learning_rate").And.Contain("--output_dir"));
        var outDir = CliRunner.TempDir();
        var (code, output, error) = CliRunner.Run(name, "--output_dir", outDir, "--max_steps", "2", "--logging_steps", "1");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output.Contains("experimental", StringComparison.Ordinal), Is.EqualTo(command.Experimental), "experimental notice");
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")), Has.Length.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(outDir, "config.json")), Is.True);
    }

    [TestCase("kto", "Trl.Kto")]
    [TestCase("rloo", "Trl.Rloo")]
    public void PromotedTrainersRunFromTheirStablePackage(string name, string package)
    {
        var command = TrainerCommands.All.Single(c => c.Name == name);
        Assert.That(command.PackageId, Is.EqualTo(package));
        Assert.That(command.Experimental, Is.False, "a promoted trainer's subcommand carries no experimental notice");
        Assert.That(command.Deprecation, Is.Null);
        Assert.That(AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name), Does.Contain(package));
    }
}
