using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Kernels;

/// <summary>Per-token log-probabilities (and, when asked, entropies) of target ids under
/// softmax((h·Wᵀ + b) / τ), computed straight from hidden states through the LM head, a chunk of positions at a time:
/// no [positions, vocab] logits tensor outlives a chunk unless it fits <see cref="LmHeadLogProbsOptions.SaveLogitsUpToBytes"/>
/// (then the chunks are kept for backward instead of recomputed). Backward is linear in the work: it recomputes (or
/// reuses) each chunk's logits and writes that chunk's gradient with two matrix products. Log-softmax is always
/// taken in float32, whatever the hidden dtype (what TRL does when it upcasts logits).</summary>
public static class LmHeadLogProbs
{
    /// <summary>Computes the outputs for hidden states [N, H], head weight [V, H], optional bias [V] and targets [N].
    /// Log-probs (and entropies) carry gradients to the hidden states, weight and bias when those require them.</summary>
    public static TokenLogProbs Compute(Tensor hidden, Tensor weight, Tensor? bias, Tensor targets, LmHeadLogProbsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(targets);
        options ??= LmHeadLogProbsOptions.Default;
        if (hidden.dim() != 2 || targets.dim() != 1 || hidden.shape[0] != targets.shape[0])
            throw new ArgumentException($"hidden must be [N, H] and targets [N] (got [{string.Join(",", hidden.shape)}] and [{string.Join(",", targets.shape)}]).");
        bool needsGrad = is_grad_enabled() && (hidden.requires_grad || weight.requires_grad || (bias?.requires_grad ?? false));
        if (!needsGrad)
        {
            using var noGrad = no_grad();
            return Wrap(Forward(hidden, weight, bias, targets, options, saved: null), options);
        }
        return Wrap(Function.apply(hidden, weight, bias!, targets, options), options);
    }

    static TokenLogProbs Wrap(IList<Tensor> o, LmHeadLogProbsOptions options) => new(o[0], options.Entropy ? o[1] : null,
        options.Statistics ? o[2] : null, options.Statistics ? o[3] : null)
    {
        LogSquaredMass = options.SquaredMass ? o[4] : null,
    };

    /// <summary>Rows of one chunk: about <see cref="LmHeadLogProbsOptions.ChunkElements"/> logits.</summary>
    static long ChunkRows(long vocab, LmHeadLogProbsOptions o) => Math.Clamp(o.ChunkElements / Math.Max(1, vocab), 1, 1L << 20);

    static Tensor ChunkLogits(Tensor h, Tensor weight, Tensor? bias, double temperature)
    {
        var z = nn.functional.linear(h, weight, bias).to_type(ScalarType.Float32);
        return temperature == 1.0 ? z : z.div_(temperature);
    }

    /// <summary>The forward outputs [logps, entropy, mean logit, argmax, log Σp²] (unused ones empty); fills
    /// <paramref name="saved"/> with each chunk's logits when it is given.</summary>
    static Tensor[] Forward(Tensor hidden, Tensor weight, Tensor? bias, Tensor targets, LmHeadLogProbsOptions o, List<Tensor>? saved)
    {
        long n = hidden.shape[0], vocab = weight.shape[0];
        var device = hidden.device;
        var logps = empty(n, dtype: ScalarType.Float32, device: device);
        var entropy = o.Entropy ? empty(n, dtype: ScalarType.Float32, device: device) : empty(0, device: device);
        var meanLogit = o.Statistics ? empty(n, dtype: ScalarType.Float32, device: device) : empty(0, device: device);
        var argmax = o.Statistics ? empty(n, dtype: ScalarType.Int64, device: device) : empty(0, dtype: ScalarType.Int64, device: device);
        var squared = o.SquaredMass ? empty(n, dtype: ScalarType.Float32, device: device) : empty(0, device: device);
        long rows = ChunkRows(vocab, o);
        for (long start = 0; start < n; start += rows)
        {
            long len = Math.Min(rows, n - start);
            using var scope = NewDisposeScope();
            var z = ChunkLogits(hidden.narrow(0, start, len), weight, bias, o.Temperature);
            var lse = z.logsumexp(-1);
            logps.narrow(0, start, len).copy_(z.gather(-1, targets.narrow(0, start, len).unsqueeze(-1)).squeeze(-1) - lse);
            if (o.Entropy) entropy.narrow(0, start, len).copy_(lse - (z - lse.unsqueeze(-1)).exp_().mul_(z).sum(-1));
            if (o.Statistics)
            {
                meanLogit.narrow(0, start, len).copy_(z.mean(new long[] { -1 }));
                argmax.narrow(0, start, len).copy_(z.argmax(-1));
            }
            if (o.SquaredMass) squared.narrow(0, start, len).copy_((z * 2).logsumexp(-1) - lse * 2);
            saved?.Add(z.DetachFromDisposeScope());   // owned by the graph's context until backward frees it
        }
        return new[] { logps, entropy, meanLogit, argmax, squared };
    }

    sealed class Function : autograd.MultiTensorFunction<Function>
    {
        public override string Name => nameof(LmHeadLogProbs);

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var hidden = (Tensor)vars[0];
            var weight = (Tensor)vars[1];
            var bias = vars[2] as Tensor;
            var targets = (Tensor)vars[3];
            var o = (LmHeadLogProbsOptions)vars[4];
            bool keep = hidden.shape[0] * weight.shape[0] * 4L <= o.SaveLogitsUpToBytes;
            var saved = keep ? new List<Tensor>() : null;
            var outputs = Forward(hidden, weight, bias, targets, o, saved);
            ctx.save_for_backward(new List<Tensor> { hidden, weight, targets, outputs[1], bias ?? empty(0) });
            ctx.save_data("options", o);
            // Kept logits are freed by backward as soon as their chunk's gradient is written.
            if (saved is not null) ctx.save_data("logits", saved);
            ctx.mark_non_differentiable(new List<Tensor> { outputs[2], outputs[3], outputs[4] });
            ctx.set_materialize_grads(false);
            return outputs.ToList();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grads)
        {
            var v = ctx.get_saved_variables();
            Tensor hidden = v[0], weight = v[1], targets = v[2], entropy = v[3];
            Tensor? bias = v[4].NumberOfElements > 0 ? v[4] : null;
            var o = (LmHeadLogProbsOptions)ctx.get_data("options");
            var saved = ctx.get_data("logits") as List<Tensor>;
            // Outputs that did not reach the loss have undefined gradients (materialisation is off).
            static Tensor? Defined(IList<Tensor> g, int i) => i < g.Count && g[i] is { IsInvalid: false } t && t.NumberOfElements > 0 ? t : null;
            var gLogp = Defined(grads, 0);
            var gEntropy = o.Entropy ? Defined(grads, 1) : null;
            long n = hidden.shape[0], vocab = weight.shape[0], rows = ChunkRows(vocab, o);
            Tensor? gradHidden = hidden.requires_grad ? empty_like(hidden) : null;
            Tensor? gradWeight = null, gradBias = null;
            bool wantWeight = weight.requires_grad, wantBias = bias is not null && bias.requires_grad;
            using (no_grad())
            {
                int chunk = 0;
                for (long start = 0; start < n; start += rows, chunk++)
                {
                    long len = Math.Min(rows, n - start);
                    using var scope = NewDisposeScope();
                    var h = hidden.narrow(0, start, len);
                    // dlogp/dz = onehot − p;  dH/dz = −p ⊙ (log p + H). Built in place over the chunk's logits.
                    var z = saved is not null ? saved[chunk] : ChunkLogits(h, weight, bias, o.Temperature);
                    var logp = z.sub_(z.logsumexp(-1, keepdim: true));
                    Tensor dz;
                    var g = gLogp?.narrow(0, start, len).to_type(ScalarType.Float32).unsqueeze(-1);
                    if (gEntropy is null)
                    {
                        dz = g is null ? logp.zero_() : logp.exp_().mul_(g.neg());
                    }
                    else
                    {
                        var gh = gEntropy.narrow(0, start, len).to_type(ScalarType.Float32).unsqueeze(-1);
                        var p = logp.exp();
                        dz = p.mul(logp.add_(entropy.narrow(0, start, len).unsqueeze(-1))).mul_(gh.neg());
                        if (g is not null) dz.addcmul_(p, g, value: -1);
                    }
                    if (g is not null) dz.scatter_add_(-1, targets.narrow(0, start, len).unsqueeze(-1), g);
                    if (o.Temperature != 1.0) dz.div_(o.Temperature);
                    var dzc = dz.to_type(weight.dtype);
                    gradHidden?.narrow(0, start, len).copy_(dzc.matmul(weight));
                    if (wantWeight)
                    {
                        var hc = h.to_type(weight.dtype);
                        if (gradWeight is null) gradWeight = dzc.t().matmul(hc).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
                        else if (gradWeight.dtype == dzc.dtype) gradWeight.addmm_(dzc.t(), hc);
                        else gradWeight.add_(dzc.t().matmul(hc).to_type(ScalarType.Float32));
                    }
                    if (wantBias)
                    {
                        if (gradBias is null) gradBias = dz.sum(0L).MoveToOuterDisposeScope();
                        else gradBias.add_(dz.sum(0L));
                    }
                    saved?[chunk].Dispose();
                }
            }
            return new List<Tensor> { gradHidden!, gradWeight?.to_type(weight.dtype)!, gradBias?.to_type(bias!.dtype)!, null!, null! };
        }
    }
}

/// <summary>What <see cref="LmHeadLogProbs.Compute"/> returns per position: log-probs of the targets; entropies when
/// asked; and, with statistics, the mean logit over the vocabulary and the argmax id (no gradient).</summary>
public sealed class TokenLogProbs(Tensor logps, Tensor? entropy, Tensor? meanLogit, Tensor? argmax)
{
    /// <summary>Log-probs of the targets.</summary>
    public Tensor Logps { get; } = logps;
    /// <summary>Entropies (nats), when asked.</summary>
    public Tensor? Entropy { get; } = entropy;
    /// <summary>Mean logit over the vocabulary, with statistics.</summary>
    public Tensor? MeanLogit { get; } = meanLogit;
    /// <summary>Argmax id, with statistics.</summary>
    public Tensor? Argmax { get; } = argmax;

    /// <summary>log Σ_v p_v² per position (WPO's weighting term), when asked; no gradient.</summary>
    public Tensor? LogSquaredMass { get; init; }
}

/// <summary>Options of <see cref="LmHeadLogProbs.Compute"/>.</summary>
public sealed record LmHeadLogProbsOptions
{
    /// <summary>The defaults: no temperature, log-probs only.</summary>
    public static readonly LmHeadLogProbsOptions Default = new();
    /// <summary>Logits are divided by this before the softmax (GRPO's sampling temperature).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Also return per-position entropies (with gradient, for entropy bonuses).</summary>
    public bool Entropy { get; init; }
    /// <summary>Also return the mean logit and the argmax per position (for TRL's logits/* and accuracy metrics).</summary>
    public bool Statistics { get; init; }
    /// <summary>Also return log Σ_v p_v² per position (no gradient).</summary>
    public bool SquaredMass { get; init; }
    /// <summary>About this many logits are alive at once (rows per chunk = this / vocab).</summary>
    public long ChunkElements { get; init; } = 1L << 25;
    /// <summary>Keep every chunk's float32 logits for backward when all of them take at most this many bytes (no
    /// recompute); above it, backward recomputes each chunk. 0 = always recompute.</summary>
    public long SaveLogitsUpToBytes { get; init; } = 1L << 30;
}
