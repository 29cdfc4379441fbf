using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Trl.Benchmarks;

// `peak <Method>`: run one kernel once in this process and print the peak resident memory it added (VmHWM), which
// BenchmarkDotNet cannot see (libtorch allocates natively). Run each method in its own process.
if (args is ["peak", var method])
{
    var bench = new LogProbKernelBenchmarks { Vocab = 151_936, Tokens = 2_048, Batch = 4 };
    bench.Setup();
    long before = PeakRssKb();
    typeof(LogProbKernelBenchmarks).GetMethod(method)!.Invoke(bench, null);
    Console.WriteLine($"{method}: peak RSS +{(PeakRssKb() - before) / 1024} MB above the inputs");
    return;
}

if (args is ["throughput", ..])
{
    Throughput.Run(args);
    return;
}

// In-process: the benchmark runs in this (already native-fixed) process rather than a generated child project.
var config = DefaultConfig.Instance.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(LogProbKernelBenchmarks).Assembly).Run(args, config);

static long PeakRssKb() => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
    .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
