using System.Text.Json.Nodes;
using Trl.Kernels;
using Trl.Testing;

namespace Trl.Core.Tests.Kernels;

/// <summary>Our kernels against TRL's own outputs (fixtures/trl/kernels/trl_utils.json, ppo_helpers.json).</summary>
public class TrlUtilsParityTests
{
    static readonly JsonNode Utils = Fixtures.Json(Fixtures.Trl("kernels", "trl_utils.json"));
    static readonly JsonNode Helpers = Fixtures.Json(Fixtures.Trl("kernels", "ppo_helpers.json"));

    static Tensor F(string key, JsonNode? src = null) => JsonTensors.ToTensor((src ?? Utils)[key]!);
    static Tensor L(string key, JsonNode? src = null) => JsonTensors.ToTensor((src ?? Utils)[key]!, ScalarType.Int64);

    [Test]
    public void SelectiveLogSoftmaxMatchesTrl()
    {
        using var scope = NewDisposeScope();
        TensorAssert.Close(LogProbs.SelectiveLogSoftmax(F("logits"), L("index")), F("selective_log_softmax"), atol: 1e-6);
    }

    [Test]
    public void SelectiveLogSoftmaxWithKIdsPerPositionMatchesTrl()
    {
        using var scope = NewDisposeScope();
        TensorAssert.Close(LogProbs.SelectiveLogSoftmax(F("logits"), L("index_k")), F("selective_log_softmax_k"), atol: 1e-6);
    }

    [Test]
    public void SelectiveLogSoftmaxInBFloat16MatchesTrl()
    {
        using var scope = NewDisposeScope();
        var r = LogProbs.SelectiveLogSoftmax(F("logits").to_type(ScalarType.BFloat16), L("index"));
        Assert.That(r.dtype, Is.EqualTo(ScalarType.BFloat16));
        TensorAssert.Close(r.to_type(ScalarType.Float32), F("selective_log_softmax_bf16_input_as_float"), atol: 1e-6);
    }

    [Test]
    public void SelectiveLogSoftmaxEqualsNaiveLogSoftmaxGather()
    {
        using var scope = NewDisposeScope();
        var logits = randn(3, 7, 50, generator: new Generator(1));
        var ids = randint(0, 50, new long[] { 3, 7 }, generator: new Generator(2));
        var naive = logits.log_softmax(-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1);
        TensorAssert.Close(LogProbs.SelectiveLogSoftmax(logits, ids), naive, atol: 1e-5);
    }

    [Test]
    public void EntropyFromLogitsMatchesTrlForEveryChunkSize()
    {
        using var scope = NewDisposeScope();
        foreach (var chunk in new[] { 1, 3, 128 })
            TensorAssert.Close(LogProbs.EntropyFromLogits(F("logits"), chunk), F("entropy_from_logits"), atol: 1e-6, what: $"chunk {chunk}");
    }

    [Test]
    public void NanStdMatchesTrl()
    {
        using var scope = NewDisposeScope();
        var x = F("nan_input");
        TensorAssert.CloseRel(NanStats.Std(x).item<float>(), JsonTensors.Number(Utils["nanstd_all"]!), 1e-5, "all");
        TensorAssert.Close(NanStats.Std(x, 1), F("nanstd_dim1"), atol: 1e-6, what: "dim 1");
        TensorAssert.Close(NanStats.Std(x, 0), F("nanstd_dim0"), atol: 1e-6, what: "dim 0");
    }

    [Test]
    public void PadMatchesTrlLeftRightAndMultiple()
    {
        using var scope = NewDisposeScope();
        var inputs = Utils["pad_inputs"]!.AsArray().Select(a => JsonTensors.ToTensor(a!, ScalarType.Int64)).ToList();
        TensorAssert.Equal(SequencePadding.Pad(inputs, 0, PaddingSide.Right), L("pad_right"));
        TensorAssert.Equal(SequencePadding.Pad(inputs, 0, PaddingSide.Left), L("pad_left"));
        TensorAssert.Equal(SequencePadding.Pad(inputs, -1, PaddingSide.Right, 4), L("pad_right_multiple4"));
        var lists = inputs.Select(t => (IReadOnlyList<long>)t.data<long>().ToArray()).ToList();
        TensorAssert.Equal(SequencePadding.PadIds(lists, 0, PaddingSide.Left), L("pad_left"));
    }

    [Test]
    public void MaskedMeanVarWhitenMatchTrl()
    {
        using var scope = NewDisposeScope();
        var v = F("values", Helpers);
        var m = L("mask", Helpers);
        TensorAssert.CloseRel(MaskedStats.Mean(v, m).item<float>(), JsonTensors.Number(Helpers["masked_mean"]!), 1e-5, "mean");
        TensorAssert.Close(MaskedStats.Mean(v, m, 1), F("masked_mean_axis1", Helpers), atol: 1e-6, what: "mean axis 1");
        TensorAssert.CloseRel(MaskedStats.Var(v, m).item<float>(), JsonTensors.Number(Helpers["masked_var_unbiased"]!), 1e-5, "var unbiased");
        TensorAssert.CloseRel(MaskedStats.Var(v, m, unbiased: false).item<float>(), JsonTensors.Number(Helpers["masked_var_biased"]!), 1e-5, "var biased");
        TensorAssert.Close(MaskedStats.Whiten(v, m), F("masked_whiten", Helpers), atol: 1e-5, what: "whiten");
        TensorAssert.Close(MaskedStats.Whiten(v, m, shiftMean: false), F("masked_whiten_no_shift", Helpers), atol: 1e-5, what: "whiten no shift");
    }

    [Test]
    public void MaskedVarOfAnEmptyMaskIsAClearError()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => MaskedStats.Var(ones(3), zeros(3)));
        Assert.That(ex!.Message, Does.Contain("mask is empty"));
    }
}
