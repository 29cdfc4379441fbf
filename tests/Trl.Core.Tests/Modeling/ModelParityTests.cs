using Trl.Kernels;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Modeling;

/// <summary>Our decoder against transformers' own forward pass on the tiny fixture checkpoints
/// (float32, CPU; tolerances from MANIFEST.md: logits/hidden atol 2e-5, logps/entropy atol 1e-5).</summary>
[TestFixture("trl", "qwen2_tiny")]
[TestFixture("trl2", "qwen3_tiny")]
public class ModelParityTests(string set, string name)
{
    string ModelDir => Path.Combine(Fixtures.Root, set, "models", name);
    string ParityDir => Path.Combine(Fixtures.Root, set, "model_parity", name);

    [Test]
    public void LogitsHiddenStatesLogpsAndEntropyMatchTransformers()
    {
        using var model = CausalLM.FromPretrained(ModelDir);
        model.eval();
        var golden = Safetensors.Load(Path.Combine(ParityDir, "forward.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = golden["input_ids"];
        var mask = golden["attention_mask"];
        var hidden = new List<Tensor>();
        var h = model.Decoder.Forward(ids, mask, hiddenStates: hidden);
        var logits = model.Project(h);
        var valid = mask.unsqueeze(-1).to_type(ScalarType.Bool);
        // Padded positions hold unspecified values in transformers too: compare real tokens only.
        for (int i = 0; i < 3; i++)
            TensorAssert.Close(hidden[i].masked_fill(valid.logical_not(), 0), golden[$"hidden_states.{i}"].masked_fill(valid.logical_not(), 0), atol: 2e-5, what: $"hidden_states.{i}");
        TensorAssert.Close(logits.masked_fill(valid.logical_not(), 0), golden["logits"].masked_fill(valid.logical_not(), 0), atol: 2e-5, what: "logits");

        var logps = LogProbs.SelectiveLogSoftmax(logits.narrow(1, 0, 16), ids.narrow(1, 1, 16));
        var nextValid = mask.narrow(1, 1, 16).to_type(ScalarType.Bool);
        TensorAssert.Close(logps.masked_fill(nextValid.logical_not(), 0), golden["next_token_logps"].masked_fill(nextValid.logical_not(), 0), atol: 1e-5, what: "next_token_logps");
        var entropy = LogProbs.EntropyFromLogits(logits);
        TensorAssert.Close(entropy.masked_fill(mask.eq(0), 0), golden["entropy"].masked_fill(mask.eq(0), 0), atol: 1e-5, what: "entropy");

        var noMask = model.Forward(ids);
        TensorAssert.Close(noMask, golden["logits_no_attention_mask"], atol: 2e-5, what: "logits without attention mask");
        foreach (var t in golden.Values) t.Dispose();
    }

    [Test]
    public void LeftPaddingWithExplicitPositionIdsEqualsTheUnpaddedSequence()
    {
        using var model = CausalLM.FromPretrained(ModelDir);
        model.eval();
        var golden = Safetensors.Load(Path.Combine(ParityDir, "left_padding.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mask = golden["left_attention_mask"];
        var positions = Sequences.PositionIdsFromAttentionMask(mask);
        TensorAssert.Equal(positions, golden["left_position_ids_explicit"], "position ids");
        var logits = model.Forward(golden["left_input_ids"], mask, positions);
        TensorAssert.Close(logits.narrow(1, 4, 9), golden["left_logits_explicit_position_ids"].narrow(1, 4, 9), atol: 2e-5, what: "explicit position ids");
        TensorAssert.Close(logits.narrow(1, 4, 9), golden["unpadded_logits"], atol: 2e-5, what: "vs unpadded");
        var defaultPositions = model.Forward(golden["left_input_ids"], mask);
        TensorAssert.Close(defaultPositions.narrow(1, 4, 9), golden["left_logits_default_position_ids"].narrow(1, 4, 9), atol: 2e-5, what: "default position ids");
        foreach (var t in golden.Values) t.Dispose();
    }

    [Test]
    public void KvCacheDecodingEqualsFullRecompute()
    {
        using var model = CausalLM.FromPretrained(ModelDir);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 98, 266, 375, 350, 207, 59, 409, 323 }, new long[] { 1, 8 });
        var full = model.Forward(ids);
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var prefix = model.Forward(ids.narrow(1, 0, 5), null, null, cache);
        var steps = new List<Tensor> { prefix };
        for (int i = 5; i < 8; i++) steps.Add(model.Forward(ids.narrow(1, i, 1), null, null, cache));
        TensorAssert.Close(cat(steps, 1), full, atol: 2e-5, what: "cached vs full");
    }
}
