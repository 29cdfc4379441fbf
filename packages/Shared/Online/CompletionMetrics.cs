using Trl.Generation;

namespace Trl.Online;

/// <summary>TRL's completions/* metrics of one generation batch (lengths, and how many ended without EOS).</summary>
internal static class CompletionMetrics
{
    public static Dictionary<string, double> Of(GenerationResult generated, string prefix = "completions/")
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var lengths = generated.CompletionIds.Select(c => (double)c.Count).ToArray();
        var terminated = lengths.Where((_, i) => generated.EndedWithEos[i]).ToArray();
        metrics[prefix + "mean_length"] = lengths.Average();
        metrics[prefix + "min_length"] = lengths.Min();
        metrics[prefix + "max_length"] = lengths.Max();
        metrics[prefix + "clipped_ratio"] = 1.0 - (double)terminated.Length / lengths.Length;
        metrics[prefix + "mean_terminated_length"] = terminated.Length > 0 ? terminated.Average() : 0.0;
        metrics[prefix + "min_terminated_length"] = terminated.Length > 0 ? terminated.Min() : 0.0;
        metrics[prefix + "max_terminated_length"] = terminated.Length > 0 ? terminated.Max() : 0.0;
        return metrics;
    }
}
