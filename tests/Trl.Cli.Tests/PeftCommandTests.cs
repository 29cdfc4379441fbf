using System.Text.Json.Nodes;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Cli.Tests;

/// <summary>LoRA through the CLI: use_peft runs write an adapter folder (not a full model) that generate loads by
/// itself (its adapter_config.json names the base) and merge folds into a plain model giving the same output; DPO
/// trains with the adapter-disabled base as reference; reward keeps its head trainable; refused options say why.</summary>
public class PeftCommandTests
{
    static string Base => Fixtures.Trl2("models", "qwen2_tiny");
    static string Tokenizer => Fixtures.Trl("tokenizer");
    static string Rows(string name) => Path.Combine(Fixtures.Root, "cli", "rows", name);

    static string[] Sft(string outDir, params string[] extra) =>
        ["sft", "--model_name_or_path", Base, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("sft.jsonl"),
         "--output_dir", outDir, "--max_steps", "4", "--learning_rate", "0.1", "--per_device_train_batch_size", "2", "--logging_steps", "1",
         "--use_peft", "true", "--lora_r", "4", "--lora_alpha", "8", .. extra];

    [Test]
    public void SftWithLoraWritesAnAdapterThatGenerateLoadsAndMergeFolds()
    {
        var outDir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run(Sft(outDir, "--lora_target_modules", "all-linear", "--lora_dropout", "0"));
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(File.Exists(Path.Combine(outDir, "adapter_model.safetensors")), Is.True);
        Assert.That(File.Exists(Path.Combine(outDir, "model.safetensors")), Is.False, "a LoRA run's output holds the adapter, not a model copy");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "adapter_config.json")))!;
        Assert.That(config["base_model_name_or_path"]!.GetValue<string>(), Is.EqualTo(Path.GetFullPath(Base)));
        Assert.That(config["target_modules"]!.AsArray(), Has.Count.EqualTo(14), "all-linear saved expanded, as peft does");
        Assert.That(config["r"]!.GetValue<int>(), Is.EqualTo(4));

        string Generate(string model, params string[] extra)
        {
            var (c, o, e) = CliRunner.Run(["generate", "--model_name_or_path", model, "--input_ids", "1,5,9,13", "--max_new_tokens", "8", "--do_sample", "false", "--json", .. extra]);
            Assert.That(c, Is.EqualTo(0), e);
            return JsonNode.Parse(o)!["sequences"]![0]!["completion_ids"]!.ToJsonString();
        }
        var withAdapter = Generate(outDir);
        Assert.That(Generate(Base, "--adapter_path", outDir), Is.EqualTo(withAdapter));
        Assert.That(Generate(Base), Is.Not.EqualTo(withAdapter), "the adapter changes the model");

        var merged = CliRunner.TempDir();
        (code, _, error) = CliRunner.Run("merge", "--adapter_path", outDir, "--output_dir", merged);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(File.Exists(Path.Combine(merged, "config.json")) && File.Exists(Path.Combine(merged, "model.safetensors")), Is.True);
        Assert.That(Generate(merged), Is.EqualTo(withAdapter), "merged model = base + adapter");
        using var plain = CausalLM.FromPretrained(merged);
        Assert.That(plain.NamedParameters(), Has.Count.EqualTo(26), "a plain checkpoint with HF names");
    }

    [Test]
    public void TrainingAnAdapterFolderFurtherAndResumingIt()
    {
        var first = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run(Sft(first));
        Assert.That(code, Is.EqualTo(0), error);
        var second = CliRunner.TempDir();
        (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", first, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("sft.jsonl"),
            "--output_dir", second, "--max_steps", "2", "--save_steps", "1");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(Directory.GetFiles(Path.Combine(second, "checkpoint-1")).Select(Path.GetFileName), Does.Contain("adapter_model.safetensors").And.Contain("optimizer.safetensors").And.Not.Contain("model.safetensors"),
            "checkpoints of a LoRA run hold the adapter and its optimizer state");
        (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", first, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("sft.jsonl"),
            "--output_dir", second, "--max_steps", "2", "--resume_from_checkpoint", Path.Combine(second, "checkpoint-1"));
        Assert.That(code, Is.EqualTo(0), error);

        (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", first, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("sft.jsonl"),
            "--output_dir", CliRunner.TempDir(), "--use_peft", "true");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("already is one"));
    }

    [Test]
    public void DpoAndRewardTrainAdapters()
    {
        var dpo = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run("dpo", "--model_name_or_path", Base, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("dpo_sigmoid.jsonl"),
            "--output_dir", dpo, "--max_steps", "2", "--per_device_train_batch_size", "2", "--logging_steps", "1", "--use_peft", "true");
        Assert.That(code, Is.EqualTo(0), error);
        var first = JsonNode.Parse(File.ReadLines(Path.Combine(dpo, "metrics.jsonl")).First())!;
        Assert.That(first["loss"]!.GetValue<double>(), Is.EqualTo(Math.Log(2)).Within(1e-6), "B = 0 at step 1: the policy equals its adapter-disabled reference");
        Assert.That(File.Exists(Path.Combine(dpo, "adapter_model.safetensors")), Is.True);

        var reward = CliRunner.TempDir();
        (code, _, error) = CliRunner.Run("reward", "--model_name_or_path", Base, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("reward.jsonl"),
            "--output_dir", reward, "--max_steps", "2", "--per_device_train_batch_size", "2", "--use_peft", "true", "--lora_task_type", "SEQ_CLS");
        Assert.That(code, Is.EqualTo(0), error);
        using var tensors = new DisposableTensors(Safetensors.Load(Path.Combine(reward, "adapter_model.safetensors")));
        Assert.That(tensors.Values.Keys, Does.Contain("base_model.model.score.weight"), "the new score head trains and is saved with the adapter");
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(reward, "adapter_config.json")))!;
        Assert.That(saved["modules_to_save"]!.AsArray().Select(x => x!.GetValue<string>()), Is.EqualTo(new[] { "classifier", "score" }), "as peft writes SEQ_CLS");
    }

    [TestCase("--load_in_4bit", "true", "QLoRA")]
    [TestCase("--lora_r", "8", "use_peft is false")]
    [TestCase("--lora_target_modules", "nope_proj", "not found")]
    public void RefusedOptionsSayWhy(string key, string value, string reason)
    {
        var args = key == "--lora_r"
            ? new[] { "sft", "--model_name_or_path", Base, "--tokenizer_name_or_path", Tokenizer, "--dataset_name", Rows("sft.jsonl"), "--output_dir", CliRunner.TempDir(), key, value }
            : Sft(CliRunner.TempDir(), key, value);
        var (code, _, error) = CliRunner.Run(args);
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain(reason));
    }

    sealed class DisposableTensors(Dictionary<string, TorchSharp.torch.Tensor> values) : IDisposable
    {
        public Dictionary<string, TorchSharp.torch.Tensor> Values { get; } = values;
        public void Dispose() { foreach (var t in Values.Values) t.Dispose(); }
    }
}
