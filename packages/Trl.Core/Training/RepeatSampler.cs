using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>TRL's RepeatSampler for online RL: each epoch draws the dataset in a seeded order, cuts it into batches of
/// <c>batchSize</c> unique prompts (dropping an incomplete last batch), and yields every batch
/// <c>repeatCount</c> times with each index repeated <c>miniRepeatCount</c> times in a row (the G completions of a
/// prompt stay adjacent). One generator spans the epochs, as in TRL, so the order is a pure function of the seed.</summary>
public sealed class RepeatSampler(int count, int miniRepeatCount, int batchSize, int repeatCount, bool shuffle, int seed)
{
    /// <summary>Batches of unique prompts per epoch.</summary>
    public int BatchesPerEpoch => count / batchSize;

    /// <summary>Yields the indices of all epochs, endlessly.</summary>
    public IEnumerable<int> Indices()
    {
        if (count < batchSize) throw new InvalidOperationException($"The dataset has {count} prompts, fewer than one generation batch needs ({batchSize} unique prompts).");
        using var generator = new Generator((ulong)seed);
        while (true)
        {
            int[] order;
            if (shuffle)
            {
                using var perm = randperm(count, generator: generator);
                order = perm.data<long>().Select(i => (int)i).ToArray();
            }
            else order = Enumerable.Range(0, count).ToArray();
            for (int b = 0; b + batchSize <= count; b += batchSize)
                for (int r = 0; r < repeatCount; r++)
                    for (int i = b; i < b + batchSize; i++)
                        for (int m = 0; m < miniRepeatCount; m++)
                            yield return order[i];
        }
    }

    /// <summary>The endless stream of <paramref name="items"/> in sampler order, cut into groups of
    /// <paramref name="groupSize"/> (an online trainer's generation batches).</summary>
    public IEnumerable<T[]> Groups<T>(IReadOnlyList<T> items, int groupSize)
    {
        ArgumentNullException.ThrowIfNull(items);
        var group = new List<T>(groupSize);
        foreach (var index in Indices())
        {
            group.Add(items[index]);
            if (group.Count < groupSize) continue;
            yield return group.ToArray();
            group.Clear();
        }
    }
}
