using System.Diagnostics;
using Trl.Training;

namespace Trl.Cli.Tests;

/// <summary>The trl tool as a separate process under faults: SIGINT stops it after the current step with a complete
/// checkpoint and exit code 130; kill -9 at any moment never leaves a partial <c>checkpoint-N</c> (saves and
/// prunes are rename-then-delete) and a resume after it cleans the leftovers; a full disk is a one-line error.</summary>
[NonParallelizable]
public class ProcessFaultTests
{
    static string TrlDll => Path.Combine(AppContext.BaseDirectory, "trl.dll");

    static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(TrlDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    static void Signal(Process p, string signal) => Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();

    static void WaitFor(Func<bool> condition, Process p, int seconds = 120)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (p.HasExited) Assert.Fail($"trl exited early with {p.ExitCode}: {p.StandardError.ReadToEnd()}");
            if (sw.Elapsed.TotalSeconds > seconds) { p.Kill(); Assert.Fail("timed out"); }
            Thread.Sleep(20);
        }
    }

    [Test]
    public void SigintSavesACheckpointAndExitsWith130()
    {
        var dir = CliRunner.TempDir();
        using var p = Start("sft", "--output_dir", dir, "--max_steps", "1000000", "--logging_steps", "1", "--save_steps", "0");
        var metrics = Path.Combine(dir, "metrics.jsonl");
        WaitFor(() => File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 3, p);
        Signal(p, "INT");
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.That(p.WaitForExit(60_000), Is.True, "stops after the current step");
        Assert.That(p.ExitCode, Is.EqualTo(130), p.StandardError.ReadToEnd());
        Assert.That(stdout.Result, Does.Contain("interrupted: stopped after step").And.Contain("checkpoint saved to"));
        var (checkpoint, step) = CheckpointFolders.List(dir)[0];
        Assert.That(CheckpointFolders.Problem(checkpoint), Is.Null, "the checkpoint is complete");
        Assert.That(File.Exists(Path.Combine(dir, "model.safetensors")), Is.False, "an interrupted run is not saved as finished");

        var (code, _, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", (step + 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--logging_steps", "1", "--save_steps", "0", "--resume_from_checkpoint", "true");
        Assert.That(code, Is.EqualTo(0), error);
    }

    [Test]
    public void KillNineNeverLeavesAPartialCheckpoint()
    {
        var dir = CliRunner.TempDir();
        var random = new Random(7);
        for (int trial = 0; trial < 6; trial++)
        {
            string[] resume = trial == 0 ? [] : ["--resume_from_checkpoint", "true"];
            using var p = Start(["sft", "--output_dir", dir, "--max_steps", "1000000", "--logging_steps", "1000", "--save_steps", "1", "--save_total_limit", "2", .. resume]);
            WaitFor(() => CheckpointFolders.List(dir).Count > 0 && (trial == 0 || CheckpointFolders.List(dir)[0].Step > 0), p);
            Thread.Sleep(random.Next(0, 400));
            Signal(p, "KILL");
            p.WaitForExit();
            foreach (var (checkpoint, _) in CheckpointFolders.List(dir))
                Assert.That(CheckpointFolders.Problem(checkpoint), Is.Null, $"trial {trial}: {checkpoint}");
            Assert.That(CheckpointFolders.List(dir), Has.Count.LessThanOrEqualTo(3), "save_total_limit (plus at most the one being replaced)");
        }
        var (code, _, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", (CheckpointFolders.List(dir)[0].Step + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--save_steps", "0", "--resume_from_checkpoint", "true");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(Directory.GetDirectories(dir, ".checkpoint-*"), Is.Empty, "leftovers of killed saves are removed at start");
    }

    [Test]
    public void AFullDiskIsAOneLineOutputError()
    {
        var mount = CliRunner.TempDir();
        Directory.CreateDirectory(mount);
        using (var m = Process.Start(new ProcessStartInfo("mount", $"-t tmpfs -o size=256k tmpfs {mount}") { RedirectStandardError = true, UseShellExecute = false })!)
        {
            m.WaitForExit();
            if (m.ExitCode != 0) Assert.Ignore($"cannot mount a small tmpfs here ({m.StandardError.ReadToEnd().Trim()}): the disk-full case needs root and mount.");
        }
        try
        {
            var (code, _, error) = CliRunner.Run("sft", "--output_dir", Path.Combine(mount, "out"), "--max_steps", "2", "--save_steps", "1");
            Assert.That(code, Is.EqualTo(5), error);
            Assert.That(error, Does.StartWith("trl: error: I/O error").And.Not.Contain("   at "));
            Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            foreach (var (checkpoint, _) in CheckpointFolders.List(Path.Combine(mount, "out")))
                Assert.That(CheckpointFolders.Problem(checkpoint), Is.Null, "no partial checkpoint on a full disk");
        }
        finally
        {
            Process.Start("umount", mount)!.WaitForExit();
        }
    }
}
