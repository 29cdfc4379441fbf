using System.Globalization;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Trl.Bco;

/// <summary>Running mean and standard deviation of a stream of batches (TRL's RunningMoments: Welford's merge,
/// starting from mean 0, variance 1 and a vanishing count). Mean and variance stay on the device as float64 tensors,
/// so updating the baseline inside a training step needs no host read; the count is known on the host.</summary>
public sealed class RunningMoments : IDisposable
{
    Tensor _mean = tensor(0.0, ScalarType.Float64).DetachFromDisposeScope();
    Tensor _var = tensor(1.0, ScalarType.Float64).DetachFromDisposeScope();

    /// <summary>Values seen.</summary>
    public double Count { get; private set; } = 1e-24;

    /// <summary>Running mean (BCO's δ) as a 0-d tensor.</summary>
    public Tensor MeanTensor => _mean;

    /// <summary>Running mean (reads the device).</summary>
    public double Mean => _mean.cpu().item<double>();
    /// <summary>Running (biased) variance (reads the device).</summary>
    public double Var => _var.cpu().item<double>();
    /// <summary>Running unbiased standard deviation (reads the device).</summary>
    public double Std => Math.Sqrt(Var * Count / (Count - 1));

    /// <summary>Merges a batch of values [N].</summary>
    public void Update(Tensor xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        long n = xs.NumberOfElements;
        if (n == 0) return;
        using var scope = NewDisposeScope();
        var x = xs.detach().to(ScalarType.Float64, _mean.device == xs.device ? _mean.device : xs.device);
        var mean = _mean.to(x.device);
        var var = _var.to(x.device);
        var batchMean = x.mean();
        var batchVar = (x - batchMean).pow(2).mean();
        double total = Count + n;
        var delta = batchMean - mean;
        var m2 = var * Count + delta * delta * (Count * n / total) + batchVar * n;
        Replace(ref _mean, (mean + delta * (n / total)).DetachFromDisposeScope());
        Replace(ref _var, (m2 / total).DetachFromDisposeScope());
        Count = total;
    }

    static void Replace(ref Tensor field, Tensor value)
    {
        var old = field;
        field = value;
        if (!ReferenceEquals(old, value)) old.Dispose();
    }

    /// <summary>running.json, as TRL saves it with checkpoints.</summary>
    public string ToJson() => new JsonObject
    {
        ["mean"] = Mean, ["std"] = Std, ["var"] = Var, ["count"] = Count,
    }.ToJsonString();

    /// <summary>Restores the moments written by <see cref="ToJson"/>.</summary>
    public void Load(string json)
    {
        var o = JsonNode.Parse(json) ?? throw new InvalidDataException("running.json is empty.");
        Replace(ref _mean, tensor(o["mean"]!.GetValue<double>(), ScalarType.Float64).DetachFromDisposeScope());
        Replace(ref _var, tensor(o["var"]!.GetValue<double>(), ScalarType.Float64).DetachFromDisposeScope());
        Count = o["count"]!.GetValue<double>();
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"mean {Mean:G6}, std {Std:G6}, count {Count}");

    /// <inheritdoc />
    public void Dispose()
    {
        _mean.Dispose();
        _var.Dispose();
    }
}
