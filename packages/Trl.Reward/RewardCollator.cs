using TorchSharp;
using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Reward;

/// <summary>TRL's reward collator: all chosen sequences then all rejected ones, right-padded, with the margins.</summary>
public class RewardCollator(long padTokenId, int? padToMultipleOf = null)
{
    /// <summary>Where the batches go (built on the host, moved once); the CPU when null.</summary>
    public torch.Device? Device { get; set; }

    /// <summary>Collates the pairs.</summary>
    public virtual RewardBatch Collate(IReadOnlyList<RewardExample> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var ids = pairs.Select(p => p.ChosenIds).Concat(pairs.Select(p => p.RejectedIds)).ToList();
        var margins = pairs.Any(p => p.Margin is not null) ? tensor(pairs.Select(p => (float)(p.Margin ?? 0)).ToArray(), device: Device) : null;
        return new RewardBatch(SequencePadding.PadIds(ids, padTokenId, PaddingSide.Right, padToMultipleOf, Device),
            SequencePadding.AttentionMask(ids, PaddingSide.Right, padToMultipleOf, Device), margins);
    }
}
