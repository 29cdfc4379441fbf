using Trl.Data;
using Trl.Rewards;
using Trl.Training;

namespace Trl.Online;

/// <summary>Scores sampled completions with reward functions as TRL's online trainers do: each function sees the
/// prompts, decoded completions, completion ids and the rows' other columns; a null score becomes NaN.</summary>
internal static class RewardScoring
{
    /// <summary>Every function's score of every completion, row-major [N × F]; NaN where a function did not apply.</summary>
    public static float[] Score(IReadOnlyList<IRewardFunction> rewards, IReadOnlyList<PromptExample> prompts, IReadOnlyList<string> texts,
        IReadOnlyList<IReadOnlyList<long>> completionIds, TrainerState state)
    {
        int n = prompts.Count;
        var inputs = new RewardInputs(prompts.Select(p => p.PromptText).ToList(), texts, completionIds, prompts.Select(p => p.Columns).ToList(), state)
        {
            PromptMessages = prompts.Select(p => p.PromptMessages).ToList(),
        };
        var table = new float[n * rewards.Count];
        for (int f = 0; f < rewards.Count; f++)
        {
            var scores = rewards[f].Score(inputs);
            if (scores.Count != n) throw new InvalidOperationException($"reward function {rewards[f].Name} returned {scores.Count} scores for {n} completions.");
            for (int i = 0; i < n; i++) table[i * rewards.Count + f] = scores[i] is double s ? (float)s : float.NaN;
        }
        return table;
    }

    /// <summary>Σ_f w_f·R[i, f] over the functions that scored completion i (NaN-skipping; 0 when none did), TRL's nansum.</summary>
    public static double[] WeightedSum(float[] table, int functions, IReadOnlyList<double>? weights)
    {
        int n = table.Length / Math.Max(1, functions);
        var sums = new double[n];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < functions; f++)
                if (!float.IsNaN(table[i * functions + f])) sums[i] += (weights?[f] ?? 1.0) * table[i * functions + f];
        return sums;
    }
}
