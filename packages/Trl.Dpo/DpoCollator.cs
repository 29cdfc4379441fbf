using TorchSharp;
using Trl.Data;
using Trl.Kernels;

namespace Trl.Dpo;

/// <summary>TRL's DataCollatorForPreference: prompt+chosen and prompt+rejected sequences, each truncated to
/// max_length (keep_start or keep_end), stacked as [all chosen; all rejected] and right-padded.</summary>
public class DpoCollator(long padTokenId, int? maxLength = null, bool keepEnd = false, int? padToMultipleOf = null)
{
    /// <summary>Where the batches go (built on the host, moved once); the CPU when null.</summary>
    public torch.Device? Device { get; set; }

    /// <summary>Collates the pairs.</summary>
    public virtual DpoBatch Collate(IReadOnlyList<PreferenceExample> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var ids = new List<IReadOnlyList<long>>();
        var masks = new List<IReadOnlyList<long>>();
        foreach (var side in new[] { true, false })
            foreach (var p in pairs)
            {
                var completion = side ? p.ChosenIds : p.RejectedIds;
                IReadOnlyList<long> seq = p.PromptIds.Concat(completion).ToArray();
                IReadOnlyList<long> mask = Enumerable.Repeat(0L, p.PromptIds.Count).Concat(Enumerable.Repeat(1L, completion.Count)).ToArray();
                if (maxLength is int max)
                {
                    seq = keepEnd ? Sequences.TruncateKeepEnd(seq, max) : Sequences.TruncateKeepStart(seq, max);
                    mask = keepEnd ? Sequences.TruncateKeepEnd(mask, max) : Sequences.TruncateKeepStart(mask, max);
                }
                ids.Add(seq);
                masks.Add(mask);
            }
        var inputIds = SequencePadding.PadIds(ids, padTokenId, PaddingSide.Right, padToMultipleOf, Device);
        return new DpoBatch(
            inputIds,
            SequencePadding.AttentionMask(ids, PaddingSide.Right, padToMultipleOf, Device),
            SequencePadding.PadIds(masks, 0, PaddingSide.Right, padToMultipleOf, Device),
            SequencePadding.NextTokenIndex(masks, inputIds.shape[1], Device));
    }

    /// <summary>Attended tokens of the collated batch (both sides, after truncation), counted without building tensors.</summary>
    public long CountTokens(IEnumerable<PreferenceExample> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        long Length(int n) => maxLength is int max ? Math.Min(n, max) : n;
        return pairs.Sum(p => Length(p.PromptIds.Count + p.ChosenIds.Count) + Length(p.PromptIds.Count + p.RejectedIds.Count));
    }
}
