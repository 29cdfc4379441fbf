using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Reward;

/// <summary>TRL's reward collator: all chosen sequences then all rejected ones, right-padded, with the margins.</summary>
public class RewardCollator(long padTokenId, int? padToMultipleOf = null)
{
    /// <summary>Collates the pairs.</summary>
    public virtual RewardBatch Collate(IReadOnlyList<RewardExample> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var ids = pairs.Select(p => p.ChosenIds).Concat(pairs.Select(p => p.RejectedIds)).ToList();
        var margins = pairs.Any(p => p.Margin is not null) ? tensor(pairs.Select(p => (float)(p.Margin ?? 0)).ToArray()) : null;
        return new RewardBatch(SequencePadding.PadIds(ids, padTokenId, PaddingSide.Right, padToMultipleOf),
            SequencePadding.AttentionMask(ids, PaddingSide.Right, padToMultipleOf), margins);
    }
}
