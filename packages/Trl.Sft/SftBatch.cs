using static TorchSharp.torch;

namespace Trl.Sft;

/// <summary>A collated causal-LM batch: [B, T] tensors. Labels are the input ids with
/// <see cref="Kernels.Sequences.IgnoreIndex"/> on positions that carry no loss.</summary>
public sealed class SftBatch : IDisposable
{
    /// <summary>Creates a batch that owns the given tensors.</summary>
    public SftBatch(Tensor inputIds, Tensor attentionMask, Tensor labels, Tensor targetIndex, Tensor? positionIds = null)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        Labels = labels;
        TargetIndex = targetIndex;
        PositionIds = positionIds;
    }

    /// <summary>Token ids, right-padded with the pad token.</summary>
    public Tensor InputIds { get; }
    /// <summary>1 on real tokens, 0 on padding.</summary>
    public Tensor AttentionMask { get; }
    /// <summary>Targets (unshifted); −100 where no loss is taken.</summary>
    public Tensor Labels { get; }
    /// <summary>Where the loss is taken: flat indices [M] into the [B, T − 1] grid of next-token targets (labels[:, 1:]
    /// ≠ −100), built on the host (see <see cref="Kernels.SequencePadding.NextTokenIndex"/>).</summary>
    public Tensor TargetIndex { get; }
    /// <summary>Explicit position ids (padding-free/packed batches), else null.</summary>
    public Tensor? PositionIds { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Labels.Dispose();
        TargetIndex.Dispose();
        PositionIds?.Dispose();
    }
}
