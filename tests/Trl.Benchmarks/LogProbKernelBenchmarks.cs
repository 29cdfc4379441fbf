using BenchmarkDotNet.Attributes;
using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Benchmarks;

/// <summary>Per-token log-probs and entropy at Qwen2.5's vocabulary (151,936) over 2,048 tokens: our
/// memory-frugal kernels against the naive full log_softmax + gather. Peak memory is reported by the
/// NativeMemory column (libtorch allocations are native) and by the process working set.</summary>
[MemoryDiagnoser]

public class LogProbKernelBenchmarks
{
    Tensor _logits = null!;
    Tensor _ids = null!;

    [Params(151_936)] public int Vocab { get; set; }
    [Params(2_048)] public int Tokens { get; set; }
    [Params(4)] public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _logits = randn(Batch, Tokens / Batch, Vocab).DetachFromDisposeScope();
        _ids = randint(0, Vocab, new long[] { Batch, Tokens / Batch }).DetachFromDisposeScope();
    }

    [Benchmark(Baseline = true)]
    public float NaiveLogSoftmaxGather()
    {
        using var scope = NewDisposeScope();
        return _logits.log_softmax(-1).gather(-1, _ids.unsqueeze(-1)).sum().item<float>();
    }

    [Benchmark]
    public float SelectiveLogSoftmax()
    {
        using var scope = NewDisposeScope();
        return LogProbs.SelectiveLogSoftmax(_logits, _ids).sum().item<float>();
    }

    [Benchmark]
    public float NaiveEntropy()
    {
        using var scope = NewDisposeScope();
        var logps = _logits.log_softmax(-1);
        return (-(logps.exp() * logps).sum(-1)).sum().item<float>();
    }

    [Benchmark]
    public float ChunkedEntropy()
    {
        using var scope = NewDisposeScope();
        return LogProbs.EntropyFromLogits(_logits).sum().item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _logits.Dispose();
        _ids.Dispose();
    }
}
