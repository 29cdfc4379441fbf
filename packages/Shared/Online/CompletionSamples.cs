using System.Text.Json;
using Trl.Data;
using Trl.Rewards;

namespace Trl.Online;

/// <summary>What online trainers show of their generations: the first few samples with their rewards, and (with
/// log_completions) every completion appended to output_dir/completions.jsonl.</summary>
internal static class CompletionSamples
{
    public static List<CompletionSample> Take(int step, IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, float[] table, IReadOnlyList<string> names, int count)
    {
        int f = names.Count;
        return Enumerable.Range(0, Math.Min(count, texts.Count)).Select(i => new CompletionSample(step, batch[i].PromptText, texts[i],
            Enumerable.Range(0, f).ToDictionary(k => names[k], k => (double)table[i * f + k]))).ToList();
    }

    public static void Append(string outputDir, int step, IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, float[] table, IReadOnlyList<string> names)
    {
        int f = names.Count;
        Directory.CreateDirectory(outputDir);
        using var writer = File.AppendText(Path.Combine(outputDir, "completions.jsonl"));
        for (int i = 0; i < texts.Count; i++)
        {
            var row = new Dictionary<string, object?> { ["step"] = step, ["prompt"] = batch[i].PromptText, ["completion"] = texts[i] };
            for (int k = 0; k < f; k++) row[names[k]] = float.IsNaN(table[i * f + k]) ? null : table[i * f + k];
            writer.WriteLine(JsonSerializer.Serialize(row));
        }
    }
}
