namespace Trl.Rewards;

/// <summary>A dense reward for tasks with one reference answer: 1 − (character edit distance between the trimmed
/// completion and the reference) / (the longer length). Exact answers score 1, partial ones partial credit, which
/// gives GRPO a signal long before the first exact answer. Null when the row has no reference.</summary>
public sealed class SimilarityReward(string solutionColumn = "solution") : IRewardFunction
{
    /// <inheritdoc />
    public string Name => "similarity_reward";

    /// <inheritdoc />
    public IReadOnlyList<double?> Score(RewardInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var scores = new double?[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var reference = inputs.Column(solutionColumn, i)?.Trim();
            if (reference is null) continue;
            var completion = inputs.Completions[i].Trim();
            int longer = Math.Max(reference.Length, completion.Length);
            scores[i] = longer == 0 ? 1.0 : 1.0 - (double)EditDistance(completion, reference) / longer;
        }
        return scores;
    }

    /// <summary>Levenshtein distance.</summary>
    public static int EditDistance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
