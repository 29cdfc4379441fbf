using static TorchSharp.torch;

namespace Trl.Sft;

/// <summary>SFT's per-token losses from the log-probabilities of the label tokens (the caller sums them and divides
/// by num_items_in_batch): nll = −log p(y); dft = −sg(p(y))·log p(y).</summary>
public static class SftLoss
{
    /// <summary>Per-token loss of label log-probs [M] for nll, chunked_nll (the same math, chunked) or dft.</summary>
    public static Tensor PerToken(Tensor labelLogps, string lossType)
    {
        ArgumentNullException.ThrowIfNull(labelLogps);
        return lossType == "dft" ? -(labelLogps.detach().exp() * labelLogps) : -labelLogps;
    }
}
