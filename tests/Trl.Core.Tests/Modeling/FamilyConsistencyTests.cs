using System.Text.Json.Nodes;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Modeling;

/// <summary>The families without a golden checkpoint here (Llama with untied lm_head and llama3 rope scaling, Mistral
/// with a sliding window shorter than the sequence) are checked for internal consistency: KV-cache decoding equals a
/// full forward pass (the sliding-window mask must hold in decode steps too), a saved checkpoint has the HF key set
/// (lm_head.weight when untied) and reloads to identical logits, and an unsupported activation is a clear error.</summary>
public class FamilyConsistencyTests
{
    static ModelConfig Config(string family)
    {
        var raw = new JsonObject
        {
            ["model_type"] = family, ["architectures"] = new JsonArray(family == "llama" ? "LlamaForCausalLM" : "MistralForCausalLM"),
            ["vocab_size"] = 97, ["hidden_size"] = 32, ["intermediate_size"] = 64, ["num_hidden_layers"] = 2,
            ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["hidden_act"] = "silu", ["rms_norm_eps"] = 1e-5,
            ["max_position_embeddings"] = 128, ["tie_word_embeddings"] = false, ["rope_theta"] = 500000.0,
        };
        if (family == "llama")
            raw["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 16 };
        else raw["sliding_window"] = 4;
        return ModelConfig.FromJson(raw);
    }

    [TestCase("llama")]
    [TestCase("mistral")]
    public void CachedDecodingEqualsFullForwardAndCheckpointsRoundTrip(string family)
    {
        using var model = CausalLM.FromConfig(Config(family), seed: 3);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(Enumerable.Range(0, 12).Select(i => (long)(i * 7 % 97)).ToArray(), new long[] { 1, 12 });
        var full = model.Forward(ids);
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var steps = new List<Tensor> { model.Forward(ids.narrow(1, 0, 6), null, null, cache) };
        for (int i = 6; i < 12; i++) steps.Add(model.Forward(ids.narrow(1, i, 1), null, null, cache));
        TensorAssert.Close(cat(steps, 1), full, atol: 2e-5, what: $"{family}: cached vs full");

        var dir = Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));
        model.SavePretrained(dir);
        var keys = Safetensors.ReadHeader(Path.Combine(dir, "model.safetensors")).Tensors.Select(t => t.Name).ToList();
        Assert.That(keys, Does.Contain("lm_head.weight"), "untied lm_head is saved");
        Assert.That(keys, Has.Count.EqualTo(2 * 9 + 3), "per layer q,k,v,o, gate,up,down, 2 norms; embed, norm, lm_head");
        using var reloaded = CausalLM.FromPretrained(dir);
        reloaded.eval();
        TensorAssert.Close(reloaded.Forward(ids), full, atol: 0, what: $"{family}: reloaded");
    }

    [Test]
    public void AnUnsupportedActivationIsAClearError()
    {
        var raw = (JsonObject)Config("llama").Raw.DeepClone();
        raw["hidden_act"] = "gelu_pytorch_tanh";
        Assert.That(() => ModelConfig.FromJson(raw, "x/config.json"), Throws.TypeOf<NotSupportedException>().With.Message.Contains("x/config.json").And.Message.Contains("gelu_pytorch_tanh"));
    }
}
