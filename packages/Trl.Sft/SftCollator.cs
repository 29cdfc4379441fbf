using TorchSharp;
using Trl.Kernels;

namespace Trl.Sft;

/// <summary>Pads SFT examples into an <see cref="SftBatch"/> (TRL's
/// DataCollatorForLanguageModeling): labels copy the ids, with −100 on padding and, when asked, on
/// non-completion / non-assistant tokens. In padding-free mode all examples become one row with
/// position ids that restart at every sequence, so attention never crosses documents.</summary>
public class SftCollator
{
    /// <summary>Creates a collator.</summary>
    public SftCollator(long padTokenId, bool completionOnlyLoss = true, bool paddingFree = false, int? padToMultipleOf = null)
    {
        PadTokenId = padTokenId;
        CompletionOnlyLoss = completionOnlyLoss;
        PaddingFree = paddingFree;
        PadToMultipleOf = padToMultipleOf;
    }

    /// <summary>Id used to pad input ids.</summary>
    public long PadTokenId { get; }
    /// <summary>Mask the prompt out of the labels when examples carry a completion mask.</summary>
    public bool CompletionOnlyLoss { get; }
    /// <summary>Concatenate the batch into one row with per-sequence position ids.</summary>
    public bool PaddingFree { get; }
    /// <summary>Pad the sequence length up to a multiple of this.</summary>
    public int? PadToMultipleOf { get; }

    /// <summary>Where the batches go (built on the host, moved once); the CPU when null.</summary>
    public torch.Device? Device { get; set; }

    /// <summary>Collates the examples into tensors.</summary>
    public virtual SftBatch Collate(IReadOnlyList<SftExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("Cannot collate an empty batch.", nameof(examples));

        var ids = new List<IReadOnlyList<long>>();
        var labels = new List<IReadOnlyList<long>>();
        var attention = new List<IReadOnlyList<long>>();
        var positions = new List<IReadOnlyList<long>>();
        foreach (var e in examples)
        {
            var p = Positions(e);
            ids.Add(e.InputIds);
            labels.Add(Labels(e, p));
            attention.Add(Enumerable.Repeat(1L, e.InputIds.Count).ToArray());
            positions.Add(p);
        }

        if (PaddingFree)
        {
            ids = new() { ids.SelectMany(x => x).ToArray() };
            labels = new() { labels.SelectMany(x => x).ToArray() };
            attention = new() { attention.SelectMany(x => x).ToArray() };
            positions = new() { positions.SelectMany(x => x).ToArray() };
        }

        bool needPositions = PaddingFree || examples.Any(e => e.SequenceLengths is { Count: > 1 });
        var inputIds = SequencePadding.PadIds(ids, PadTokenId, PaddingSide.Right, PadToMultipleOf, Device);
        var targets = labels.Select(l => (IReadOnlyList<long>)l.Select(x => x == Sequences.IgnoreIndex ? 0L : 1L).ToArray()).ToList();
        return new SftBatch(
            inputIds,
            SequencePadding.PadIds(attention, 0, PaddingSide.Right, PadToMultipleOf, Device),
            SequencePadding.PadIds(labels, Sequences.IgnoreIndex, PaddingSide.Right, PadToMultipleOf, Device),
            SequencePadding.NextTokenIndex(targets, inputIds.shape[1], Device),
            needPositions ? SequencePadding.PadIds(positions, 0, PaddingSide.Right, PadToMultipleOf, Device) : null);
    }

    /// <summary>How many next-token targets of these examples take part in the loss — labels ≠ −100 after the shift, so a
    /// row's first token never counts — as transformers' num_items_in_batch for causal LMs, counted without building
    /// tensors. Padding-free batches form one row: only the first example's first token drops out (the others' first
    /// tokens already carry −100).</summary>
    public long CountLabels(IEnumerable<SftExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        long count = 0;
        bool first = true;
        foreach (var e in examples)
        {
            var l = Labels(e, Positions(e));
            int from = PaddingFree && !first ? 0 : 1;
            for (int i = from; i < l.Length; i++) if (l[i] != Sequences.IgnoreIndex) count++;
            first = false;
        }
        return count;
    }

    static long[] Positions(SftExample e) => Sequences.PackedPositionIds(e.SequenceLengths ?? new[] { e.InputIds.Count });

    /// <summary>The labels of one example: its ids, −100 where the masks exclude a token and, padding-free, at each
    /// document's first token (it has no predecessor in its document, so it is never a target).</summary>
    long[] Labels(SftExample e, long[] positions)
    {
        var l = new long[e.InputIds.Count];
        for (int i = 0; i < l.Length; i++)
        {
            bool keep = !(PaddingFree && positions[i] == 0);
            if (CompletionOnlyLoss && e.CompletionMask is { } cm) keep &= cm[i] != 0;
            if (e.AssistantMask is { } am) keep &= am[i] != 0;
            l[i] = keep ? e.InputIds[i] : Sequences.IgnoreIndex;
        }
        return l;
    }
}
