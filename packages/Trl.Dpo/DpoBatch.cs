using static TorchSharp.torch;

namespace Trl.Dpo;

/// <summary>A collated preference batch of 2B rows: all prompt+chosen rows, then all prompt+rejected rows,
/// right-padded. The completion mask is 1 on completion tokens.</summary>
public sealed class DpoBatch(Tensor inputIds, Tensor attentionMask, Tensor completionMask, Tensor targetIndex) : IDisposable
{
    /// <summary>[2B, T] ids.</summary>
    public Tensor InputIds { get; } = inputIds;
    /// <summary>[2B, T] 1 on real tokens.</summary>
    public Tensor AttentionMask { get; } = attentionMask;
    /// <summary>[2B, T] 1 on completion tokens.</summary>
    public Tensor CompletionMask { get; } = completionMask;
    /// <summary>Completion targets as flat indices into the [2B, T − 1] next-token grid (built on the host).</summary>
    public Tensor TargetIndex { get; } = targetIndex;
    /// <summary>Pairs in the batch (B).</summary>
    public long Pairs => InputIds.shape[0] / 2;

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        CompletionMask.Dispose();
        TargetIndex.Dispose();
    }
}
