using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Sft;

/// <summary>SFT's token losses on shifted logits/labels, summed over valid tokens (the caller divides by
/// num_items_in_batch): nll = −log p(y); dft = −sg(p(y))·log p(y).</summary>
public static class SftLoss
{
    /// <summary>Sum of the per-token loss over labels ≠ −100. <paramref name="logits"/> [N, V], <paramref name="labels"/> [N].</summary>
    public static Tensor TokenLossSum(Tensor logits, Tensor labels, string lossType)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        var valid = labels.ne(Sequences.IgnoreIndex);
        var safe = labels.masked_fill(valid.logical_not(), 0);
        var logp = LogProbs.SelectiveLogSoftmax(logits.to_type(ScalarType.Float32), safe);
        var perToken = lossType == "dft" ? -(logp.detach().exp() * logp) : -logp;
        return perToken.masked_fill(valid.logical_not(), 0).sum().MoveToOuterDisposeScope();
    }
}
