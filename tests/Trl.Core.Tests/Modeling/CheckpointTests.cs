using System.Text.Json.Nodes;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Modeling;

/// <summary>Round trips and bad checkpoints: every failure names the file and what is wrong.</summary>
public class CheckpointTests
{
    static string Qwen2Dir => Fixtures.Trl("models", "qwen2_tiny");

    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Test]
    public void SaveThenLoadGivesIdenticalTensorsAndExactlyTheHfKeySet()
    {
        using var model = CausalLM.FromPretrained(Qwen2Dir);
        var dir = TempDir();
        model.SavePretrained(dir);
        var original = Safetensors.ReadHeader(Path.Combine(Qwen2Dir, "model.safetensors"));
        var saved = Safetensors.ReadHeader(Path.Combine(dir, "model.safetensors"));
        Assert.That(saved.Tensors.Select(t => t.Name).Order(), Is.EqualTo(original.Tensors.Select(t => t.Name).Order()));
        Assert.That(saved.Metadata["format"], Is.EqualTo("pt"));
        var a = Safetensors.Load(Path.Combine(Qwen2Dir, "model.safetensors"));
        var b = Safetensors.Load(Path.Combine(dir, "model.safetensors"));
        foreach (var (k, v) in a) TensorAssert.Equal(b[k], v, k);
        using var reloaded = CausalLM.FromPretrained(dir);
        Assert.That(reloaded.Config.ModelType, Is.EqualTo("qwen2"));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.That(cfg["architectures"]![0]!.GetValue<string>(), Is.EqualTo("Qwen2ForCausalLM"));
    }

    [Test]
    public void LargeModelsAreSavedInShardsWithAnIndexAndLoadBack()
    {
        using var model = CausalLM.FromPretrained(Qwen2Dir);
        var dir = TempDir();
        model.SavePretrained(dir);                                   // first a single file, replaced below
        model.SavePretrained(dir, maxShardSize: 100_000);            // 428 KB of float32 weights → 5 shards
        var shards = Directory.GetFiles(dir, "model-*-of-*.safetensors").Select(Path.GetFileName).Order().ToList();
        Assert.That(shards, Has.Count.EqualTo(5));
        Assert.That(shards[0], Is.EqualTo("model-00001-of-00005.safetensors"));
        Assert.That(File.Exists(Path.Combine(dir, "model.safetensors")), Is.False, "the stale single file is removed");
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "model.safetensors.index.json")))!;
        Assert.That(index["metadata"]!["total_size"]!.GetValue<long>(), Is.EqualTo(107_072 * 4));
        var original = Safetensors.Load(Path.Combine(Qwen2Dir, "model.safetensors"));
        Assert.That(index["weight_map"]!.AsObject().Select(kv => kv.Key).Order(), Is.EqualTo(original.Keys.Order()));
        using var reloaded = CausalLM.FromPretrained(dir);
        var named = reloaded.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter);
        foreach (var (k, v) in original) TensorAssert.Equal(named[k], v, k);
    }

    [Test]
    public void TiedEmbeddingsAreOneParameter()
    {
        using var model = CausalLM.FromPretrained(Qwen2Dir);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.That(names, Does.Not.Contain("lm_head.weight"));
        Assert.That(names, Has.Count.EqualTo(26), "transformers lists 26 named parameters for qwen2_tiny");
        Assert.That(model.NamedParameters().Sum(p => p.Parameter.numel()), Is.EqualTo(107_072));
    }

    [Test]
    public void MissingTensorIsAClearError()
    {
        var dir = TempDir();
        File.Copy(Path.Combine(Qwen2Dir, "config.json"), Path.Combine(dir, "config.json"));
        var w = Safetensors.Load(Path.Combine(Qwen2Dir, "model.safetensors"));
        w.Remove("model.norm.weight");
        w["extra.weight"] = zeros(2);
        Safetensors.Save(Path.Combine(dir, "model.safetensors"), w);
        var ex = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(dir));
        Assert.That(ex!.Message, Does.Contain("model.safetensors").And.Contain("model.norm.weight").And.Contain("extra.weight"));
    }

    [Test]
    public void MisshapedTensorIsAClearError()
    {
        var dir = TempDir();
        File.Copy(Path.Combine(Qwen2Dir, "config.json"), Path.Combine(dir, "config.json"));
        var w = Safetensors.Load(Path.Combine(Qwen2Dir, "model.safetensors"));
        w["model.norm.weight"] = zeros(63);
        Safetensors.Save(Path.Combine(dir, "model.safetensors"), w);
        var ex = Assert.Throws<InvalidDataException>(() => CausalLM.FromPretrained(dir));
        Assert.That(ex!.Message, Does.Contain("model.norm.weight").And.Contain("[63]").And.Contain("[64]"));
    }

    [Test]
    public void TruncatedFileIsAClearError()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(Path.Combine(Qwen2Dir, "model.safetensors"));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("truncated"));
        File.WriteAllBytes(path, bytes[..20]);
        ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.That(ex!.Message, Does.Contain("header"));
    }

    [Test]
    public void UnknownDtypeIsAClearError()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "x.safetensors");
        var header = "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        bytes.AddRange(new byte[2]);
        File.WriteAllBytes(path, bytes.ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.That(ex!.Message, Does.Contain("F8_E4M3").And.Contain("'w'"));
    }

    [Test]
    public void UnsupportedArchitectureListsTheSupportedOnes()
    {
        var dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\":\"gpt_neox\"}");
        var ex = Assert.Throws<NotSupportedException>(() => CausalLM.FromPretrained(dir));
        Assert.That(ex!.Message, Does.Contain("gpt_neox").And.Contain("qwen2").And.Contain("llama"));
    }

    [Test]
    public void PickleWeightsAreRefused()
    {
        var dir = TempDir();
        File.Copy(Path.Combine(Qwen2Dir, "config.json"), Path.Combine(dir, "config.json"));
        File.WriteAllBytes(Path.Combine(dir, "pytorch_model.bin"), new byte[] { 0x80, 0x02 });
        var ex = Assert.Throws<NotSupportedException>(() => CausalLM.FromPretrained(dir));
        Assert.That(ex!.Message, Does.Contain("pickle").And.Contain("safetensors"));
    }

    [Test]
    public void SequenceClassifierLoadsTheScoreHead()
    {
        using var m = SequenceClassifier.FromPretrained(Fixtures.Trl("models", "qwen2_tiny_seqcls"));
        Assert.That(m.score.weight.shape, Is.EqualTo(new long[] { 1, 64 }));
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 5, 6, 7, 0, 8, 9, 10, 11 }, new long[] { 2, 4 });
        var scores = m.Forward(ids, ids.ne(0), padTokenId: 0);
        Assert.That(scores.shape, Is.EqualTo(new long[] { 2, 1 }));
    }
}
