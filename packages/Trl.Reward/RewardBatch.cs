using static TorchSharp.torch;

namespace Trl.Reward;

/// <summary>A collated reward batch: [chosen; rejected] rows right-padded to one length (2B rows).</summary>
public sealed class RewardBatch(Tensor inputIds, Tensor attentionMask, Tensor? margins) : IDisposable
{
    /// <summary>[2B, T] ids.</summary>
    public Tensor InputIds { get; } = inputIds;
    /// <summary>[2B, T] 1 on real tokens.</summary>
    public Tensor AttentionMask { get; } = attentionMask;
    /// <summary>[B] margins, or null when no row has one.</summary>
    public Tensor? Margins { get; } = margins;
    /// <summary>Pairs in the batch (B).</summary>
    public long Pairs => InputIds.shape[0] / 2;

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Margins?.Dispose();
    }
}
