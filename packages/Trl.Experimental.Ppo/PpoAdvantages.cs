using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Ppo;

/// <summary>PPO's post-rollout block (TRL's PPOTrainer.train between generation and optimisation): truncation at the
/// stop token, the last real token of each response, INVALID_LOGPROB (1.0) at padding, the missing-EOS penalty, the
/// per-token KL penalty (k1 or k3) with the score added one past the last real token, optional reward whitening, GAE,
/// returns and whitened advantages.</summary>
public static class PpoAdvantages
{
    /// <summary>TRL's placeholder log-prob of padded positions (the ratio there is 1 and the KL 0).</summary>
    public const float InvalidLogprob = 1.0f;

    /// <summary>Everything the optimisation needs, all [B, T] except the per-row tensors.</summary>
    public sealed record Result(Tensor PostprocessedResponses, Tensor SequenceLengths, Tensor ContainEos, Tensor Scores,
        Tensor PaddingMask, Tensor PaddingMaskP1, Tensor Logprobs, Tensor RefLogprobs, Tensor Values, Tensor Kl, Tensor NonScoreReward,
        Tensor Rewards, Tensor Advantages, Tensor Returns);

    /// <summary>Computes the block from the raw responses [B, T], rollout and reference log-probs [B, T], the rollout
    /// values [B, T] and the scores [B] of the truncated responses (before the penalty).</summary>
    public static Result Compute(Tensor responses, Tensor logprobs, Tensor refLogprobs, Tensor values, Tensor scores,
        long? stopTokenId, long padTokenId, long eosTokenId, PpoConfig config)
    {
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(config);
        long t = responses.shape[1];
        var device = responses.device;
        var positions = arange(t, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var post = Truncate(responses, stopTokenId, padTokenId);
        var seqLen = FirstTrueIndices(post.eq(padTokenId)) - 1;
        var containEos = post.eq(eosTokenId).any(1);
        var s = scores.to_type(ScalarType.Float32);
        if (config.MissingEosPenalty is double penalty) s = s - containEos.logical_not().to_type(ScalarType.Float32) * penalty;
        var paddingMask = positions.gt(seqLen.unsqueeze(1));
        var paddingMaskP1 = positions.gt(seqLen.unsqueeze(1) + 1);
        var lp = logprobs.masked_fill(paddingMask, InvalidLogprob);
        var refLp = refLogprobs.masked_fill(paddingMask, InvalidLogprob);
        var v = values.masked_fill(paddingMaskP1, 0);

        var logr = refLp - lp;
        var kl = config.KlEstimator == "k3" ? (logr.exp() - 1) - logr : -logr;
        var nonScore = -config.KlCoef * kl;
        var end = where(seqLen.lt(t - 1), seqLen + 1, seqLen);
        var rewards = nonScore + zeros_like(nonScore).scatter(1, end.unsqueeze(1), s.unsqueeze(1));
        if (config.WhitenRewards)
        {
            var valid = paddingMaskP1.logical_not();
            rewards = MaskedStats.Whiten(rewards, valid, shiftMean: false).masked_fill(paddingMaskP1, 0);
        }
        var advantages = Gae(rewards, v, config.Gamma, config.Lam);
        var returns = advantages + v;
        advantages = MaskedStats.Whiten(advantages, paddingMask.logical_not()).masked_fill(paddingMask, 0);
        return new Result(post, seqLen, containEos, s, paddingMask, paddingMaskP1, lp, refLp, v, kl, nonScore, rewards, advantages, returns);
    }

    /// <summary>TRL's truncate_response: every token after the first stop token becomes padding (the stop token stays);
    /// no stop token leaves the responses as they are.</summary>
    public static Tensor Truncate(Tensor responses, long? stopTokenId, long padTokenId)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (stopTokenId is not long stop) return responses;
        var positions = arange(responses.shape[1], dtype: ScalarType.Int64, device: responses.device).unsqueeze(0);
        return responses.masked_fill(positions.gt(FirstTrueIndices(responses.eq(stop)).unsqueeze(1)), padTokenId);
    }

    /// <summary>Generalised advantage estimation over every position, right to left.</summary>
    static Tensor Gae(Tensor rewards, Tensor values, double gamma, double lam)
    {
        long t = rewards.shape[1];
        var columns = new Tensor[t];
        Tensor last = zeros_like(rewards.select(1, 0));
        for (long i = t - 1; i >= 0; i--)
        {
            var next = i < t - 1 ? values.select(1, i + 1) : zeros_like(last);
            var delta = rewards.select(1, i) + gamma * next - values.select(1, i);
            last = delta + gamma * lam * last;
            columns[i] = last;
        }
        return stack(columns, 1);
    }

    /// <summary>TRL's first_true_indices: the index of the first true per row, the row length when there is none.</summary>
    public static Tensor FirstTrueIndices(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        long t = mask.shape[^1];
        var positions = arange(t, dtype: ScalarType.Int64, device: mask.device);
        return (mask.logical_not().to_type(ScalarType.Int64) * t + positions).min(-1).values;
    }
}
