using Trl.Kernels;
using Trl.Modeling;
using static TorchSharp.torch;

namespace Trl.Shared;

/// <summary>[chosen; rejected] rows padded to one length (2B rows), with labels (−100 on prompt and padding):
/// the concatenated batch TRL's CPO/ORPO/BCO run one forward pass on.</summary>
internal sealed class PairedPreferenceBatch : IDisposable
{
    /// <summary>Collates pairs.</summary>
    public PairedPreferenceBatch(IReadOnlyList<PairedPreferenceTokens> pairs, long padTokenId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) throw new ArgumentException("Cannot collate an empty batch.", nameof(pairs));
        var ids = pairs.Select(p => p.ChosenIds).Concat(pairs.Select(p => p.RejectedIds)).ToList();
        var labels = pairs.Select(p => p.ChosenLabels).Concat(pairs.Select(p => p.RejectedLabels)).ToList();
        InputIds = SequencePadding.PadIds(ids, padTokenId, device: device);
        Labels = SequencePadding.PadIds(labels, Sequences.IgnoreIndex, device: device);
        AttentionMask = SequencePadding.AttentionMask(ids, device: device);
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

    /// <summary>The forward pass: log-probs [2B, T] of each next token (the last position, which has none, scores id 0)
    /// with the mean logit per position, from one chunked pass over every position (the logits/* metrics cover all).</summary>
    public TokenLogProbs PositionLogProbs(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var hidden = model.Decoder.Forward(InputIds, AttentionMask);
        var next = nn.functional.pad(InputIds.narrow(1, 1, InputIds.shape[1] - 1), new long[] { 0, 1 });
        var r = model.PositionLogProbs(hidden, next, new LmHeadLogProbsOptions { Statistics = true });
        return new TokenLogProbs(r.Logps.MoveToOuterDisposeScope(), null, r.MeanLogit!.MoveToOuterDisposeScope(), r.Argmax!.MoveToOuterDisposeScope());
    }

    /// <summary>Per-row log-prob of the labels (sum, or mean over label tokens when <paramref name="average"/>) from
    /// <see cref="PositionLogProbs"/>'s log-probs.</summary>
    public Tensor SequenceLogps(Tensor positionLogps, bool average)
    {
        ArgumentNullException.ThrowIfNull(positionLogps);
        using var scope = NewDisposeScope();
        long t = Labels.shape[1] - 1;
        var mask = Labels.narrow(1, 1, t).ne(Sequences.IgnoreIndex).to_type(ScalarType.Float32);
        var sum = (positionLogps.narrow(1, 0, t) * mask).sum(1);
        return (average ? sum / mask.sum(1) : sum).MoveToOuterDisposeScope();
    }

    /// <summary>Mean negative log-likelihood over the chosen rows' targets where <paramref name="labels"/>[:, 1:] ≠ −100
    /// (PyTorch's cross-entropy with ignore_index), from <see cref="PositionLogProbs"/>'s log-probs.</summary>
    public static Tensor ChosenNll(Tensor positionLogps, Tensor labels, int pairs)
    {
        ArgumentNullException.ThrowIfNull(positionLogps);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        long t = labels.shape[1] - 1;
        var mask = labels.narrow(0, 0, pairs).narrow(1, 1, t).ne(Sequences.IgnoreIndex).to_type(ScalarType.Float32);
        var nll = -(positionLogps.narrow(0, 0, pairs).narrow(1, 0, t) * mask).sum() / mask.sum();
        return nll.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        AttentionMask.Dispose();
    }
}
