using static TorchSharp.torch;

namespace Trl.Kto;

/// <summary>A collated KTO batch: right-padded prompt+completion ids [B, T], attention and completion masks, and the
/// completion targets as flat indices into the [B, T − 1] next-token grid (built on the host).</summary>
public sealed class KtoBatch(Tensor inputIds, Tensor attentionMask, Tensor completionMask, Tensor targetIndex) : IDisposable
{
    /// <summary>[B, T] ids.</summary>
    public Tensor InputIds { get; } = inputIds;
    /// <summary>[B, T] 1 on real tokens.</summary>
    public Tensor AttentionMask { get; } = attentionMask;
    /// <summary>[B, T] 1 on completion tokens.</summary>
    public Tensor CompletionMask { get; } = completionMask;
    /// <summary>Completion targets in the [B, T − 1] grid.</summary>
    public Tensor TargetIndex { get; } = targetIndex;

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        CompletionMask.Dispose();
        TargetIndex.Dispose();
    }
}
