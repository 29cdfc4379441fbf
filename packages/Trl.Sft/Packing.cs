namespace Trl.Sft;

/// <summary>Packs tokenized examples into rows of at most <c>seqLength</c> tokens (TRL's pack_dataset).</summary>
internal static class Packing
{
    /// <summary>Best-fit-decreasing: examples (truncated, or with <paramref name="split"/> cut into seqLength
    /// fragments) are sorted by length, longest first, and each goes into the open row with the smallest remaining
    /// space that fits (the earliest such row on ties), else a new row. Rows come out in creation order with the
    /// lengths of their documents in <see cref="SftExample.SequenceLengths"/>.</summary>
    public static List<SftExample> BestFitDecreasing(IEnumerable<SftExample> examples, int seqLength, bool split = false)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(seqLength, 1);
        var pieces = new List<SftExample>();
        foreach (var e in examples.Where(e => e.InputIds.Count > 0))
        {
            if (!split) { pieces.Add(Slice(e, 0, Math.Min(seqLength, e.InputIds.Count))); continue; }
            for (int s = 0; s < e.InputIds.Count; s += seqLength) pieces.Add(Slice(e, s, Math.Min(seqLength, e.InputIds.Count - s)));
        }
        var order = pieces.Select((p, i) => (p, i)).OrderByDescending(x => x.p.InputIds.Count).ThenBy(x => x.i).Select(x => x.p);
        var bins = new List<List<SftExample>>();
        var space = new List<int>();
        var binsBySpace = new Dictionary<int, Queue<int>>();
        var spaces = new SortedSet<int>();
        foreach (var piece in order)
        {
            int need = piece.InputIds.Count;
            var fits = spaces.GetViewBetween(need, seqLength);
            int bin;
            if (fits.Count > 0)
            {
                int s = fits.Min;
                var queue = binsBySpace[s];
                bin = queue.Dequeue();
                if (queue.Count == 0) spaces.Remove(s);
            }
            else
            {
                bin = bins.Count;
                bins.Add(new List<SftExample>());
                space.Add(seqLength);
            }
            bins[bin].Add(piece);
            space[bin] -= need;
            if (space[bin] > 0)
            {
                if (!binsBySpace.TryGetValue(space[bin], out var q)) binsBySpace[space[bin]] = q = new Queue<int>();
                q.Enqueue(bin);
                spaces.Add(space[bin]);
            }
        }
        return bins.Select(Concat).ToList();
    }

    /// <summary>Concatenates every example and cuts the stream every <paramref name="seqLength"/> tokens
    /// (documents may be cut; no sequence lengths).</summary>
    public static List<SftExample> Wrapped(IEnumerable<SftExample> examples, int seqLength)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var all = Concat(examples.ToList()) with { SequenceLengths = null };
        var rows = new List<SftExample>();
        for (int s = 0; s < all.InputIds.Count; s += seqLength)
            rows.Add(Slice(all, s, Math.Min(seqLength, all.InputIds.Count - s)) with { SequenceLengths = null });
        return rows;
    }

    static SftExample Slice(SftExample e, int start, int length) => new(e.InputIds.Skip(start).Take(length).ToArray())
    {
        CompletionMask = e.CompletionMask?.Skip(start).Take(length).ToArray(),
        AssistantMask = e.AssistantMask?.Skip(start).Take(length).ToArray(),
        SequenceLengths = new[] { length },
    };

    static SftExample Concat(List<SftExample> parts) => new(parts.SelectMany(p => p.InputIds).ToArray())
    {
        CompletionMask = parts.All(p => p.CompletionMask is not null) ? parts.SelectMany(p => p.CompletionMask!).ToArray() : null,
        AssistantMask = parts.All(p => p.AssistantMask is not null) ? parts.SelectMany(p => p.AssistantMask!).ToArray() : null,
        SequenceLengths = parts.Select(p => p.InputIds.Count).ToArray(),
    };
}
