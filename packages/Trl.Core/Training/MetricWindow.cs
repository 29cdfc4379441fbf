using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>Metrics of the micro-batches since the last log, kept as detached device tensors and read back in one
/// go when a record is made, so training never waits on the device between logging steps.</summary>
internal sealed class MetricWindow : IDisposable
{
    readonly Dictionary<string, List<(Tensor Value, double Weight)>> _values = new(StringComparer.Ordinal);

    /// <summary>Keeps a detached copy of <paramref name="value"/> (owned by the window, outside any dispose scope).</summary>
    public void Add(string key, Tensor value, double weight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!_values.TryGetValue(key, out var list)) _values[key] = list = new();
        list.Add((value.detach().DetachFromDisposeScope(), weight));
    }

    /// <summary>Adds every metric of a micro-batch's output.</summary>
    public void Add(LossOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var (k, v) in output.Metrics)
            Add(k, v, output.MetricWeights is { } w && w.TryGetValue(k, out var wk) ? wk : 1.0);
    }

    /// <summary>Σ(value·weight)/Σweight per key over the non-NaN values (NaN when every value is NaN), then clears.</summary>
    public Dictionary<string, double> Drain()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, list) in _values)
        {
            double sum = 0, weight = 0;
            foreach (var (t, w) in list)
            {
                using var scope = NewDisposeScope();
                double v = t.to_type(ScalarType.Float64).cpu().item<double>();
                if (!double.IsNaN(v) && w != 0) { sum += v * w; weight += w; }
            }
            result[key] = weight == 0 ? double.NaN : sum / weight;
        }
        Clear();
        return result;
    }

    void Clear()
    {
        foreach (var list in _values.Values)
            foreach (var (t, _) in list) t.Dispose();
        _values.Clear();
    }

    /// <inheritdoc />
    public void Dispose() => Clear();
}
