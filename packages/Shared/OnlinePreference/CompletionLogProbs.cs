using Trl.Kernels;
using Trl.Modeling;
using static TorchSharp.torch;

namespace Trl.Online;

/// <summary>Per-token log-probs [B, T] of completion tokens under a model from its raw logits (the Online DPO family
/// applies no temperature), unmasked as TRL's _forward returns them. maxLength left-truncates the
/// prompt so prompt + completion fit (Online DPO's max_length; XPO and Nash-MD pass null).</summary>
internal static class CompletionLogProbs
{
    public static Tensor Compute(CausalLM model, Tensor promptIds, Tensor promptMask, Tensor completionIds, Tensor completionMask, int? maxLength = null)
    {
        long p = promptIds.shape[1], c = completionIds.shape[1];
        if (maxLength is int max && p + c > max)
        {
            long cut = Math.Min(p + c - max, p - 1);
            promptIds = promptIds.narrow(1, cut, p - cut);
            promptMask = promptMask.narrow(1, cut, p - cut);
        }
        var input = cat(new[] { promptIds, completionIds }, 1);
        var attention = cat(new[] { promptMask, completionMask.to_type(ScalarType.Int64) }, 1);
        var hidden = model.Decoder.Forward(input, attention, Sequences.PositionIdsFromAttentionMask(attention));
        return model.CompletionLogProbs(hidden, completionIds).Logps;
    }
}
