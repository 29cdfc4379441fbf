using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Data;

/// <summary>[chosen; rejected] rows padded to one length (2B rows), with labels (−100 on prompt and padding):
/// the concatenated batch TRL's CPO/ORPO/BCO run one forward pass on.</summary>
public sealed class LegacyPreferenceBatch : IDisposable
{
    /// <summary>Collates pairs.</summary>
    public LegacyPreferenceBatch(IReadOnlyList<LegacyPreferenceExample> pairs, long padTokenId)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var ids = pairs.Select(p => p.ChosenIds).Concat(pairs.Select(p => p.RejectedIds)).ToList();
        var labels = pairs.Select(p => p.ChosenLabels).Concat(pairs.Select(p => p.RejectedLabels)).ToList();
        InputIds = SequencePadding.PadIds(ids, padTokenId);
        Labels = SequencePadding.PadIds(labels, Sequences.IgnoreIndex);
        AttentionMask = SequencePadding.AttentionMask(ids);
        Pairs = pairs.Count;
    }

    /// <summary>[2B, T] ids.</summary>
    public Tensor InputIds { get; }
    /// <summary>[2B, T] labels.</summary>
    public Tensor Labels { get; }
    /// <summary>[2B, T] attention.</summary>
    public Tensor AttentionMask { get; }
    /// <summary>B.</summary>
    public int Pairs { get; }

    /// <summary>Per-row log-prob of the labels (sum, or mean over label tokens when <paramref name="average"/>)
    /// from logits [2B, T, V], with the next-token shift.</summary>
    public Tensor SequenceLogps(Tensor logits, bool average)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var scope = NewDisposeScope();
        long t = Labels.shape[1] - 1;
        var labels = Labels.narrow(1, 1, t);
        var mask = labels.ne(Sequences.IgnoreIndex);
        var lp = LogProbs.SelectiveLogSoftmax(logits.narrow(1, 0, t), labels.masked_fill(mask.logical_not(), 0)) * mask.to_type(ScalarType.Float32);
        var sum = lp.sum(1);
        return (average ? sum / mask.sum(1).to_type(ScalarType.Float32) : sum).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy over the chosen rows' targets (given labels, shifted).</summary>
    public static Tensor ChosenNll(Tensor logits, Tensor labels, int pairs)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        long t = labels.shape[1] - 1;
        var l = logits.narrow(0, 0, pairs).narrow(1, 0, t).reshape(-1, logits.shape[^1]);
        var y = labels.narrow(0, 0, pairs).narrow(1, 1, t).reshape(-1);
        return nn.functional.cross_entropy(l, y, ignore_index: Sequences.IgnoreIndex).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        AttentionMask.Dispose();
    }
}
