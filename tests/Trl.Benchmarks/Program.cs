using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Trl.Benchmarks.LogProbKernelBenchmarks).Assembly).Run(args);
