using TorchSharp;
using Trl.Kernels;

namespace Trl.Kto;

/// <summary>TRL's KTO collation: prompt+completion (or prompt+KL completion) truncated to max_length keeping the start,
/// right-padded.</summary>
public class KtoCollator(long padTokenId, int? maxLength)
{
    /// <summary>Where the batches go (built on the host, moved once); the CPU when null.</summary>
    public torch.Device? Device { get; set; }

    /// <summary>Collates the examples' completions, or their KL completions when <paramref name="kl"/>.</summary>
    public virtual KtoBatch Collate(IReadOnlyList<KtoExample> batch, bool kl)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var ids = new List<IReadOnlyList<long>>();
        var masks = new List<IReadOnlyList<long>>();
        foreach (var e in batch)
        {
            var completion = kl ? e.KlCompletionIds : e.CompletionIds;
            IReadOnlyList<long> seq = e.PromptIds.Concat(completion).ToArray();
            IReadOnlyList<long> mask = Enumerable.Repeat(0L, e.PromptIds.Count).Concat(Enumerable.Repeat(1L, completion.Count)).ToArray();
            ids.Add(Sequences.TruncateKeepStart(seq, maxLength));
            masks.Add(Sequences.TruncateKeepStart(mask, maxLength));
        }
        var padded = SequencePadding.PadIds(ids, padTokenId, device: Device);
        return new KtoBatch(padded, SequencePadding.AttentionMask(ids, device: Device), SequencePadding.PadIds(masks, 0, device: Device), SequencePadding.NextTokenIndex(masks, padded.shape[1], Device));
    }

    /// <summary>Tokens of the collated completions (after truncation), counted on the host.</summary>
    public long CountTokens(IEnumerable<KtoExample> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Sum(e => (long)Math.Min(e.PromptIds.Count + e.CompletionIds.Count, maxLength ?? int.MaxValue));
    }
}
