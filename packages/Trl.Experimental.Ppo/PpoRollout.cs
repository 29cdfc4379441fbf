using static TorchSharp.torch;

namespace Trl.Ppo;

/// <summary>One rollout batch, kept for the num_ppo_epochs optimizer steps it feeds: the query+response ids and mask,
/// where the responses start, and the post-rollout tensors (log-probs, values, returns, advantages, masks). It owns its
/// tensors.</summary>
public sealed class PpoRollout : IDisposable
{
    readonly List<Tensor> _owned = new();

    /// <summary>Creates a rollout that takes ownership of the tensors.</summary>
    public PpoRollout(Tensor queryResponses, Tensor attentionMask, long contextLength, PpoAdvantages.Result result)
    {
        ArgumentNullException.ThrowIfNull(result);
        QueryResponses = Own(queryResponses);
        AttentionMask = Own(attentionMask);
        ContextLength = contextLength;
        Responses = Own(queryResponses.narrow(1, contextLength, queryResponses.shape[1] - contextLength));
        Logprobs = Own(result.Logprobs);
        Values = Own(result.Values);
        Returns = Own(result.Returns);
        Advantages = Own(result.Advantages);
        PaddingMask = Own(result.PaddingMask);
        PaddingMaskP1 = Own(result.PaddingMaskP1);
    }

    Tensor Own(Tensor t)
    {
        var kept = t.detach().DetachFromDisposeScope();
        _owned.Add(kept);
        return kept;
    }

    /// <summary>[B, P + T] left-padded queries followed by the (untruncated) responses.</summary>
    public Tensor QueryResponses { get; }
    /// <summary>[B, P + T] 1 on real tokens (queries' padding 0; responses all 1, as TRL's ids ≠ pad mask sees them).</summary>
    public Tensor AttentionMask { get; }
    /// <summary>P, where the responses start.</summary>
    public long ContextLength { get; }
    /// <summary>[B, T] the sampled responses.</summary>
    public Tensor Responses { get; }
    /// <summary>[B, T] rollout log-probs (1.0 at padding).</summary>
    public Tensor Logprobs { get; }
    /// <summary>[B, T] rollout values (0 past the last real token + 1).</summary>
    public Tensor Values { get; }
    /// <summary>[B, T] GAE returns.</summary>
    public Tensor Returns { get; }
    /// <summary>[B, T] whitened advantages.</summary>
    public Tensor Advantages { get; }
    /// <summary>[B, T] true past the last real token.</summary>
    public Tensor PaddingMask { get; }
    /// <summary>[B, T] true past the last real token + 1.</summary>
    public Tensor PaddingMaskP1 { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
