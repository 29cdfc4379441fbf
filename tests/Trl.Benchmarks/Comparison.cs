using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Trl.Benchmarks;

/// <summary><c>throughput --compare</c>: our workloads and plain PyTorch's (reference/pytorch_reference.py) at the same
/// shapes, each in its own process (so peak RSS is the workload's), interleaved A B A B, with the same thread count.
/// Prints a Markdown table of median seconds, ratios (ours / PyTorch) and peak RSS, and the growth exponent of the
/// SFT step time over sequence length. PyTorch: TRL_BENCH_PYTHON (default /usr/bin/python3, Debian's python3-torch);
/// BLAS: TRL_BENCH_BLAS_DIR (a folder with OpenBLAS's libblas.so.3; build/bench-compare.sh fetches one), because
/// Debian's default reference BLAS would make the comparison meaningless. Skips with a message when PyTorch is absent.</summary>
internal static class Comparison
{
    sealed record Row(string Name, string Workload, string[] Args);

    public static void Run(string[] args)
    {
        string layers = Arg(args, "layers") ?? "2", threads = Arg(args, "threads") ?? "2";
        int rounds = int.Parse(Arg(args, "rounds") ?? "2", CultureInfo.InvariantCulture);
        string python = Environment.GetEnvironmentVariable("TRL_BENCH_PYTHON") ?? "/usr/bin/python3";
        string? blas = Environment.GetEnvironmentVariable("TRL_BENCH_BLAS_DIR");
        string script = Path.Combine(AppContext.BaseDirectory, "reference", "pytorch_reference.py");
        if (!PythonHasTorch(python, blas, out var why))
        {
            Console.WriteLine($"throughput --compare skipped: {why} (Debian: apt-get install python3-torch; or set TRL_BENCH_PYTHON).");
            return;
        }
        if (blas is null) Console.WriteLine("warning: TRL_BENCH_BLAS_DIR is not set; PyTorch may run on the slow reference BLAS (see build/bench-compare.sh).");

        var common = new[] { "--layers", layers, "--threads", threads, "--steps", "3", "--warmup", "1" };
        var rows = new List<Row>
        {
            new("SFT 1×256", "sft", ["--batch", "1", "--seq", "256"]),
            new("SFT 4×256", "sft", ["--batch", "4", "--seq", "256"]),
            new("SFT 1×1024", "sft", ["--batch", "1", "--seq", "1024"]),
            new("DPO 4 pairs × 256", "dpo", ["--batch", "4", "--seq", "256"]),
            new("generate batch 1 (32 + 32 new)", "gen", ["--batch", "1", "--prompt", "32", "--new_tokens", "32"]),
            new("generate batch 8 (32 + 32 new)", "gen", ["--batch", "8", "--prompt", "32", "--new_tokens", "32"]),
            new("embedded-default SFT step (32×16, tiny model)", "sft", ["--batch", "32", "--seq", "16", "--small"]),
        };
        if (Arg(args, "rows") is { } only) rows = rows.Where((_, i) => only.Split(',').Contains((i + 1).ToString(CultureInfo.InvariantCulture))).ToList();

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"| workload ({layers} layers, {threads} threads) | Trl.NET s | PyTorch s | ratio | peak RSS Trl.NET MB | peak RSS PyTorch MB |");
        table.AppendLine("|---|---|---|---|---|---|");
        var medians = new Dictionary<string, (double Ours, double Torch)>();
        foreach (var row in rows)
        {
            var ours = new List<(double S, long Mb)>();
            var torch = new List<(double S, long Mb)>();
            var shape = row.Args.Concat(common).ToArray();
            var torchShape = shape.Where(a => a != "--small").Concat(row.Args.Contains("--small")
                ? new[] { "--vocab", "16", "--hidden", "64", "--intermediate", "192", "--heads", "4", "--kv_heads", "2" } : []).ToArray();
            for (int r = 0; r < rounds; r++)
            {
                ours.Add(RunOurs(row.Workload, shape));
                torch.Add(RunPython(python, blas, script, row.Workload, torchShape));
            }
            double o = Throughput.Median(ours.Select(x => x.S).ToList()), t = Throughput.Median(torch.Select(x => x.S).ToList());
            medians[row.Name] = (o, t);
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {o:F3} | {t:F3} | **{o / t:F2}×** | {ours.Max(x => x.Mb)} | {torch.Max(x => x.Mb)} |");
            Console.Error.WriteLine($"{row.Name}: ours {o:F3} s, pytorch {t:F3} s");
        }
        Console.WriteLine(table.ToString());
        if (medians.TryGetValue("SFT 1×256", out var s256) && medians.TryGetValue("SFT 1×1024", out var s1024))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"growth exponent of the SFT step over sequence length (256 → 1024): Trl.NET {Math.Log(s1024.Ours / s256.Ours) / Math.Log(4):F2}, PyTorch {Math.Log(s1024.Torch / s256.Torch) / Math.Log(4):F2}"));
    }

    static (double Seconds, long PeakMb) RunOurs(string workload, string[] shape)
    {
        var dll = typeof(Comparison).Assembly.Location;
        var output = Execute("dotnet", [dll, "throughput", "--only", workload, .. shape], null);
        return Parse(output);
    }

    static (double Seconds, long PeakMb) RunPython(string python, string? blas, string script, string workload, string[] shape) =>
        Parse(Execute(python, [script, workload, .. shape.Where(a => a != "--small")], blas));

    static (double, long) Parse(string output)
    {
        var line = output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        var json = JsonNode.Parse(line)!;
        return (json["median_s"]!.GetValue<double>(), json["peak_rss_mb"]!.GetValue<long>());
    }

    static bool PythonHasTorch(string python, string? blas, out string why)
    {
        try
        {
            Execute(python, ["-c", "import torch"], blas);
            why = "";
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            why = $"{python} cannot import torch ({e.Message.Split('\n')[0]})";
            return false;
        }
    }

    static string Execute(string file, string[] arguments, string? blas)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (blas is not null) start.Environment["LD_LIBRARY_PATH"] = blas + ":" + Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {p.ExitCode}: {stderr.Result}");
        return stdout;
    }

    static string? Arg(string[] args, string name) => Array.IndexOf(args, "--" + name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
