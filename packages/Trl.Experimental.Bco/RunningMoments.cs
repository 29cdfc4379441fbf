using System.Globalization;
using System.Text.Json.Nodes;

namespace Trl.Bco;

/// <summary>Running mean and standard deviation of a stream of batches (TRL's RunningMoments: Welford's merge,
/// starting from mean 0, variance 1 and a vanishing count).</summary>
public sealed class RunningMoments
{
    /// <summary>Running mean (BCO's δ).</summary>
    public double Mean { get; private set; }
    /// <summary>Running (biased) variance.</summary>
    public double Var { get; private set; } = 1;
    /// <summary>Running unbiased standard deviation.</summary>
    public double Std { get; private set; } = 1;
    /// <summary>Values seen.</summary>
    public double Count { get; private set; } = 1e-24;

    /// <summary>Merges a batch of values.</summary>
    public void Update(IReadOnlyList<double> xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Count == 0) return;
        double n = xs.Count, mean = xs.Average();
        double var = xs.Sum(x => (x - mean) * (x - mean)) / n;
        double delta = mean - Mean, total = Count + n;
        double m2 = Var * Count + delta * delta * Count * n / total + var * n;
        Mean += delta * n / total;
        Var = m2 / total;
        Std = Math.Sqrt(Var * total / (total - 1));
        Count = total;
    }

    /// <summary>running.json, as TRL saves it with checkpoints.</summary>
    public string ToJson() => new JsonObject
    {
        ["mean"] = Mean, ["std"] = Std, ["var"] = Var, ["count"] = Count,
    }.ToJsonString();

    /// <summary>Reads running.json.</summary>
    public static RunningMoments FromJson(string json)
    {
        var o = JsonNode.Parse(json)!;
        return new RunningMoments
        {
            Mean = o["mean"]!.GetValue<double>(), Std = o["std"]!.GetValue<double>(),
            Var = o["var"]!.GetValue<double>(), Count = o["count"]!.GetValue<double>(),
        };
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"mean {Mean:G6}, std {Std:G6}, count {Count}");
}
