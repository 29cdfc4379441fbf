using System.Text.Json.Nodes;
using Trl.Modeling;
using Trl.Peft;
using Trl.Testing;
using static TorchSharp.torch;

namespace Trl.Core.Tests.Peft;

/// <summary>LoRA against peft 0.21 (fixtures/trl2/peft/qwen2_tiny_lora): the same init draws from the same seed, an
/// adapter written by peft loads and gives its logits, disabling gives the base, merge gives peft's merged weights,
/// and what we save is what peft wrote (keys, header layout, adapter_config.json).</summary>
public class LoraAdapterTests
{
    static string PeftDir(params string[] parts) => Path.Combine([Fixtures.Root, "trl2", "peft", "qwen2_tiny_lora", .. parts]);
    static CausalLM Base() => CausalLM.FromPretrained(Fixtures.Trl2("models", "qwen2_tiny"));

    static readonly LoraConfig FixtureConfig = new()
    {
        R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], TaskType = "CAUSAL_LM",
    };

    /// <summary>Logits at the batch's valid (non-pad) positions.</summary>
    static void AssertLogits(CausalLM model, Dictionary<string, Tensor> golden, string key, double atol)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.Forward(golden["input_ids"], golden["attention_mask"]);
        var valid = golden["attention_mask"].to_type(ScalarType.Bool);
        TensorAssert.Close(logits[valid], golden[key][valid], atol: atol, what: key);
    }

    [Test]
    public void SameSeedDrawsPeftsInitialAdapter()
    {
        using var model = Base();
        var adapter = LoraAdapter.Add(model, FixtureConfig, seed: 1234);
        var peft = Safetensors.Load(PeftDir("adapter", "adapter_model.safetensors"));
        var ours = adapter.StateDict();
        Assert.That(ours.Keys.Order(), Is.EqualTo(peft.Keys.Order()));
        foreach (var (k, t) in peft)
            if (k.Contains("lora_A", StringComparison.Ordinal)) TensorAssert.Equal(ours[k], t, k);   // B was overwritten in the fixture
            else Assert.That(ours[k].abs().max().item<float>(), Is.EqualTo(0f), $"{k} starts at zero");
        Assert.That(adapter.Parameters.Sum(p => p.Parameter.numel()), Is.EqualTo(8192));
        Assert.That(model.TrainableParameters().Select(p => p.Name), Is.EquivalentTo(adapter.Parameters.Select(p => p.Name)), "only the adapter trains");
        Assert.That(model.NamedParameters().Sum(p => p.Parameter.numel()), Is.EqualTo(115264));
    }

    [Test]
    public void PeftAdapterLoadsAndMatchesItsLogitsDisabledAndMerged()
    {
        var golden = Safetensors.Load(PeftDir("logits.safetensors"));
        using var model = Base();
        AssertLogits(model, golden, "logits_base", 2e-5);
        var adapter = LoraAdapter.Load(model, PeftDir("adapter"));
        Assert.That(model.TrainableParameters(), Is.Empty, "a loaded adapter is frozen unless trainable");
        AssertLogits(model, golden, "logits_lora", 2e-5);
        using (adapter.Disable()) AssertLogits(model, golden, "logits_lora_adapter_disabled", 2e-5);
        AssertLogits(model, golden, "logits_lora", 2e-5);

        adapter.MergeAndUnload();
        Assert.That(model.Adapter, Is.Null);
        AssertLogits(model, golden, "logits_merged", 2e-5);
        var merged = Safetensors.Load(PeftDir("merged_model.safetensors"));
        var ours = model.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter);
        Assert.That(ours.Keys.Order(), Is.EqualTo(merged.Keys.Order()), "a merged model has plain HF names");
        foreach (var (k, t) in merged) TensorAssert.Close(ours[k], t, atol: 1e-6, what: k);
    }

    [Test]
    public void MergedForwardEqualsAdapterForwardAndUnmergeRestoresTheBase()
    {
        var golden = Safetensors.Load(PeftDir("logits.safetensors"));
        using var model = Base();
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        var adapter = LoraAdapter.Load(model, PeftDir("adapter"));
        adapter.Merge();
        AssertLogits(model, golden, "logits_lora", 2e-5);
        using (adapter.Disable()) AssertLogits(model, golden, "logits_base", 2e-5);
        adapter.Unmerge();
        foreach (var (name, p) in model.NamedParameters().Where(p => !adapter.OwnsParameter(p.Name)))
            TensorAssert.Close(p, before[name], atol: 1e-6, what: $"unmerged {name}");
    }

    [Test]
    public void SavedAdapterIsWhatPeftWrites()
    {
        using var model = Base();
        var adapter = LoraAdapter.Load(model, PeftDir("adapter"));
        var dir = Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));
        model.SavePretrained(dir);
        Assert.That(File.Exists(Path.Combine(dir, "config.json")), Is.False, "an adapter folder holds no full model");
        Assert.That(File.ReadAllBytes(Path.Combine(dir, "adapter_model.safetensors")), Is.EqualTo(File.ReadAllBytes(PeftDir("adapter", "adapter_model.safetensors"))),
            "same tensors give the same bytes: keys, header layout and metadata as peft's");

        var ours = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!.AsObject();
        var peft = JsonNode.Parse(File.ReadAllText(PeftDir("adapter", "adapter_config.json")))!.AsObject();
        Assert.That(ours.Select(kv => kv.Key), Is.EqualTo(peft.Select(kv => kv.Key)), "every key, sorted");
        foreach (var (k, v) in peft)
        {
            if (k is "base_model_name_or_path") continue;
            if (k == "target_modules") Assert.That(ours[k]!.AsArray().Select(x => x!.GetValue<string>()), Is.EquivalentTo(v!.AsArray().Select(x => x!.GetValue<string>())));
            else Assert.That(ours[k]?.ToJsonString(), Is.EqualTo(v?.ToJsonString()), k);
        }
        var text = File.ReadAllText(Path.Combine(dir, "adapter_config.json"));
        Assert.That(text, Does.Not.EndWith("\n").And.Contain("\"lora_dropout\": 0.0,").And.Contain("\n  \"r\": 4,"), "Python's json.dumps(indent=2) layout");

        using var fresh = Base();
        LoraAdapter.Load(fresh, dir);
        AssertLogits(fresh, Safetensors.Load(PeftDir("logits.safetensors")), "logits_lora_reloaded", 2e-5);
    }

    [Test]
    public void TargetsFollowPeftsRules()
    {
        using var model = Base();
        var defaults = LoraAdapter.Add(model, new LoraConfig());
        Assert.That(defaults.TargetedModules, Is.EqualTo(new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" }), "qwen2 defaults: q_proj, v_proj");
        defaults.Unload();

        var all = LoraAdapter.Add(model, new LoraConfig { TargetModules = ["all-linear"] });
        Assert.That(all.TargetedModules, Has.Count.EqualTo(14), "every projection, not the lm_head");
        all.Unload();

        var regex = LoraAdapter.Add(model, new LoraConfig { TargetModulesPattern = @".*\.1\.mlp\..*_proj" });
        Assert.That(regex.TargetedModules, Is.EqualTo(new[] { "model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj" }));
        regex.Unload();

        var layers = LoraAdapter.Add(model, new LoraConfig { TargetModules = ["o_proj"], LayersToTransform = [1], RankPattern = new Dictionary<string, int> { ["o_proj"] = 2 } });
        Assert.That(layers.TargetedModules, Is.EqualTo(new[] { "model.layers.1.self_attn.o_proj" }));
        Assert.That(layers.StateDict()["base_model.model.model.layers.1.self_attn.o_proj.lora_A.weight"].shape, Is.EqualTo(new long[] { 2, 64 }), "rank_pattern");
        layers.Unload();

        Assert.That(() => LoraAdapter.Add(model, new LoraConfig { TargetModules = ["nope_proj"] }), Throws.ArgumentException.With.Message.Contains("not found"));
        Assert.That(() => LoraAdapter.Add(model, new LoraConfig { TargetModules = ["embed_tokens"] }), Throws.InstanceOf<NotSupportedException>());
        Assert.That(model.Adapter, Is.Null);
        Assert.That(model.TrainableParameters(), Has.Count.EqualTo(model.NamedParameters().Count), "unloading leaves nothing behind");
    }
}
