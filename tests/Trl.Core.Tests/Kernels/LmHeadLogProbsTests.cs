using Trl.Kernels;
using Trl.Testing;

namespace Trl.Core.Tests.Kernels;

/// <summary>The chunked LM-head kernel against the plain formulation (full logits, log-softmax, gather) in float64:
/// values and the gradients of the hidden states, the head weight and the bias agree to 1e-6, for every way the
/// kernel can run (kept logits or recompute, one chunk or many, temperature, entropy with gradient).</summary>
public class LmHeadLogProbsTests
{
    static readonly object[] Cases =
    {
        new object[] { 1.0, false, 1L << 30, 1L << 25, false },
        new object[] { 0.7, true, 0L, 900L, true },           // recompute, many chunks, bias
        new object[] { 1.3, true, 1L << 30, 900L, false },    // kept logits, many chunks
        new object[] { 1.0, false, 0L, 1L << 25, true },      // recompute, one chunk
    };

    [TestCaseSource(nameof(Cases))]
    public void EqualsTheFullLogitsFormulation(double temperature, bool entropy, long keepBytes, long chunkElements, bool withBias)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        long n = 37, h = 16, v = 101;
        var hidden = randn(n, h, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        var weight = (randn(v, h, dtype: ScalarType.Float64, generator: g) * 0.3).requires_grad_(true);
        var bias = withBias ? randn(v, dtype: ScalarType.Float64, generator: g).requires_grad_(true) : null;
        var targets = randint(0, v, new long[] { n }, generator: g);
        var gLogp = randn(n, dtype: ScalarType.Float64, generator: g);
        var gEntropy = randn(n, dtype: ScalarType.Float64, generator: g);

        var z = nn.functional.linear(hidden, weight, bias) / temperature;
        var lp = z.log_softmax(-1);
        var refLogps = lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
        var refEntropy = -(lp.exp() * lp).sum(-1);
        var refLoss = (refLogps * gLogp).sum() + (entropy ? (refEntropy * gEntropy).sum() : zeros(1, dtype: ScalarType.Float64).squeeze());
        var (rh, rw, rb) = Grads(refLoss, hidden, weight, bias);

        var r = LmHeadLogProbs.Compute(hidden, weight, bias, targets, new LmHeadLogProbsOptions
        {
            Temperature = temperature, Entropy = entropy, Statistics = true, SaveLogitsUpToBytes = keepBytes, ChunkElements = chunkElements,
        });
        var loss = (r.Logps * gLogp).sum() + (entropy ? (r.Entropy! * gEntropy).sum() : zeros(1, dtype: ScalarType.Float64).squeeze());
        var (kh, kw, kb) = Grads(loss, hidden, weight, bias);

        // Log-softmax runs in float32 inside the kernel; float64 inputs check the formulation, not the rounding.
        TensorAssert.Close(r.Logps, refLogps, atol: 1e-5, what: "logps");
        if (entropy) TensorAssert.Close(r.Entropy!, refEntropy, atol: 1e-5, what: "entropy");
        TensorAssert.Close(kh, rh, atol: 1e-5, rtol: 1e-5, what: "d/d hidden");
        TensorAssert.Close(kw, rw, atol: 1e-5, rtol: 1e-5, what: "d/d weight");
        if (withBias) TensorAssert.Close(kb!, rb!, atol: 1e-5, rtol: 1e-5, what: "d/d bias");
        TensorAssert.Close(r.MeanLogit!, z.mean(new long[] { -1 }), atol: 1e-5, what: "mean logit");
        Assert.That(r.Argmax!.eq(z.argmax(-1)).all().item<bool>(), Is.True, "argmax");
    }

    [Test]
    public void FloatInputsMatchTheUnchunkedFloatComputationToOneInAMillion()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var hidden = randn(64, 32, generator: g).requires_grad_(true);
        var weight = (randn(500, 32, generator: g) * 0.2).requires_grad_(true);
        var targets = randint(0, 500, new long[] { 64 }, generator: g);
        var refLogps = LogProbs.SelectiveLogSoftmax(nn.functional.linear(hidden, weight), targets);
        var (rh, rw, _) = Grads(refLogps.sum(), hidden, weight, null);
        var r = LmHeadLogProbs.Compute(hidden, weight, null, targets, new LmHeadLogProbsOptions { ChunkElements = 5000, SaveLogitsUpToBytes = 0 });
        var (kh, kw, _) = Grads(r.Logps.sum(), hidden, weight, null);
        TensorAssert.Close(r.Logps, refLogps, atol: 1e-6, rtol: 1e-6, what: "logps");
        TensorAssert.Close(kh, rh, atol: 1e-6, rtol: 1e-6, what: "d/d hidden");
        TensorAssert.Close(kw, rw, atol: 1e-6, rtol: 1e-6, what: "d/d weight");
    }

    [Test]
    public void FrozenWeightsGetNoGradientAndNoGradModeBuildsNoGraph()
    {
        using var scope = NewDisposeScope();
        var hidden = randn(5, 4).requires_grad_(true);
        var weight = randn(9, 4);
        var targets = tensor(new long[] { 1, 2, 3, 4, 5 });
        var r = LmHeadLogProbs.Compute(hidden, weight, null, targets);
        r.Logps.sum().backward();
        Assert.That(hidden.grad, Is.Not.Null);
        Assert.That(weight.grad, Is.Null);
        using (no_grad())
            Assert.That(LmHeadLogProbs.Compute(hidden, weight, null, targets).Logps.requires_grad, Is.False);
    }

    [Test]
    public void SelectiveLogSoftmaxBackwardIsOneBatchedPass()
    {
        // The old per-row loop allocated a full-size zero gradient per row in backward (quadratic); the batched form's
        // gradient must equal softmax's closed form exactly as one pass does.
        using var scope = NewDisposeScope();
        var logits = randn(6, 9, 13, generator: new Generator(5)).requires_grad_(true);
        var ids = randint(0, 13, new long[] { 6, 9 }, generator: new Generator(6));
        LogProbs.SelectiveLogSoftmax(logits, ids).sum().backward();
        var expected = nn.functional.one_hot(ids, 13).to_type(ScalarType.Float32) - logits.detach().softmax(-1);
        TensorAssert.Close(logits.grad!, expected, atol: 1e-6, what: "gradient");
    }

    static (Tensor Hidden, Tensor Weight, Tensor? Bias) Grads(Tensor loss, Tensor hidden, Tensor weight, Tensor? bias)
    {
        var inputs = new List<Tensor> { hidden, weight };
        if (bias is not null) inputs.Add(bias);
        var g = autograd.grad(new List<Tensor> { loss }, inputs);
        return (g[0], g[1], bias is null ? null : g[2]);
    }
}
