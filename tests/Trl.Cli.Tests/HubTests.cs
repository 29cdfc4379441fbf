using System.Text;
using Trl.Cli.Commands;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Cli.Tests;

/// <summary>`trl` with Hub ids, as a TRL user types them: `--model_name_or_path org/name --dataset_name org/data
/// --dataset_config x` resolve through the Hugging Face cache, are downloaded from HF_ENDPOINT (a Hub on 127.0.0.1)
/// into HF_HUB_CACHE, and then run offline (HF_HUB_OFFLINE=1) with the server gone.</summary>
[NonParallelizable]
public class HubTests
{
    const string ModelSha = "1111111111111111111111111111111111111111";
    const string DataSha = "2222222222222222222222222222222222222222";
    readonly Dictionary<string, string?> _saved = new();
    string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = CliRunner.TempDir();
        foreach (var v in new[] { "HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN", "HF_HOME" }) _saved[v] = Environment.GetEnvironmentVariable(v);
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", Path.Combine(_root, "hub"));
        Environment.SetEnvironmentVariable("HF_HOME", Path.Combine(_root, "hf-home"));
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", null);
        Environment.SetEnvironmentVariable("HF_TOKEN", null);
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var (k, v) in _saved) Environment.SetEnvironmentVariable(k, v);
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    void Serve(HubTestServer server)
    {
        var model = Path.Combine(_root, "model-src");
        using (var lm = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 5)) lm.SavePretrained(model);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" }) File.Copy(Fixtures.EmbeddedDefault(f), Path.Combine(model, f));
        server.AddFolder("model", "org/tiny-reverser", ModelSha, model);
        server.AddRepo("dataset", "org/reversal", DataSha, new Dictionary<string, byte[]>
        {
            ["README.md"] = Encoding.UTF8.GetBytes("---\nconfigs:\n- config_name: words\n  data_files:\n  - split: train\n    path: words/train-*.jsonl\n- config_name: other\n  data_dir: other\n---\n# reversal\n"),
            ["words/train-00000-of-00001.jsonl"] = File.ReadAllBytes(Fixtures.EmbeddedDefault("train.jsonl")),
        });
        Environment.SetEnvironmentVariable("HF_ENDPOINT", server.Endpoint);
    }

    [Test]
    public void Hub_ids_download_into_the_hf_cache_then_train_offline()
    {
        var args = new[] { "sft", "--model_name_or_path", "org/tiny-reverser", "--dataset_name", "org/reversal", "--dataset_config", "words",
            "--max_steps", "2", "--logging_steps", "1", "--per_device_train_batch_size", "4" };
        using (var server = new HubTestServer())
        {
            Serve(server);
            var (code, output, error) = CliRunner.Run([.. args, "--output_dir", Path.Combine(_root, "out1")]);
            Assert.That(code, Is.EqualTo(0), error + output);
            Assert.That(output, Does.Contain(Path.Combine(_root, "hub", "datasets--org--reversal", "snapshots", DataSha)));
            Assert.That(File.ReadAllText(Path.Combine(_root, "hub", "models--org--tiny-reverser", "refs", "main")), Is.EqualTo(ModelSha));
            Assert.That(File.Exists(Path.Combine(_root, "hub", "models--org--tiny-reverser", "snapshots", ModelSha, "model.safetensors")), Is.True);
        }
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
        var (offlineCode, _, offlineError) = CliRunner.Run([.. args, "--output_dir", Path.Combine(_root, "out2")]);
        Assert.That(offlineCode, Is.EqualTo(0), "the server is gone; the cache is enough: " + offlineError);
        Assert.That(File.ReadAllLines(Path.Combine(_root, "out2", "metrics.jsonl")), Has.Length.EqualTo(2));
    }

    [Test]
    public void A_missing_hub_model_is_one_line_with_exit_code_7()
    {
        using var server = new HubTestServer();
        Serve(server);
        var (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", "org/nope", "--dataset_name", "org/reversal", "--output_dir", Path.Combine(_root, "x"));
        Assert.That(code, Is.EqualTo(ExitCodes.HubError));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.Contain("org/nope: repository not found"));
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
        (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", "org/never-downloaded", "--dataset_name", "org/reversal", "--output_dir", Path.Combine(_root, "y"));
        Assert.That(code, Is.EqualTo(ExitCodes.HubError));
        Assert.That(error, Does.Contain("HF_HUB_OFFLINE"));
    }

    [Test]
    public void Push_to_hub_commits_the_model_and_it_downloads_back()
    {
        using var server = new HubTestServer();
        Serve(server);
        var outDir = Path.Combine(_root, "my-sft");
        var args = new[] { "sft", "--max_steps", "2", "--save_steps", "1", "--output_dir", outDir, "--push_to_hub", "true", "--hub_model_id", "org/my-sft", "--hub_private_repo", "true" };
        var (code, _, error) = CliRunner.Run(args);
        Assert.That(code, Is.EqualTo(ExitCodes.HubError), "no token");
        Assert.That(error, Does.Contain("uploading needs a token"));

        Environment.SetEnvironmentVariable("HF_TOKEN", "hf_user");
        (code, var output, error) = CliRunner.Run([.. args, "--overwrite_output_dir", "true"]);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("pushed to the Hub: " + server.Endpoint + "/org/my-sft/commit/"));
        Assert.That(server.Created, Has.Some.EqualTo(("org/my-sft", true)), "created private");
        var commit = server.Commits.Last(c => c.Repo == "org/my-sft");
        Assert.That(commit.Summary, Is.EqualTo("End of training"));
        Assert.That(commit.Files.Keys, Is.SupersetOf(new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "metrics.jsonl" }));
        Assert.That(commit.Files.Keys.Where(k => k.StartsWith("checkpoint-", StringComparison.Ordinal) || k.StartsWith("tokenized-", StringComparison.Ordinal)), Is.Empty);
        Assert.That(server.Requests, Has.Some.StartsWith("PUT").And.Contains("/lfs-upload/"), "the weights went through LFS");
        Assert.That(commit.Files["model.safetensors"], Is.EqualTo(File.ReadAllBytes(Path.Combine(outDir, "model.safetensors"))));
        // hub_strategy every_save (transformers' default): each checkpoint's model went up before the final commit.
        var progress = server.Commits.Single(c => c.Repo == "org/my-sft" && c.Summary == "Training in progress, step 1");
        Assert.That(progress.Files.Keys.Order(StringComparer.Ordinal), Is.EqualTo(new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" }));
        var card = System.Text.Encoding.UTF8.GetString(commit.Files["README.md"]);
        Assert.That(card, Does.StartWith("---\n").And.Contain("library_name: transformers").And.Contain("- trl\n").And.Contain("model_name: org/my-sft"), "a model card with Hub metadata");

        // hub_strategy all_checkpoints: each checkpoint folder under its own name (optimizer state included, for resuming).
        (code, _, error) = CliRunner.Run("sft", "--max_steps", "2", "--save_steps", "1", "--output_dir", Path.Combine(_root, "ckpts"), "--push_to_hub", "true",
            "--hub_model_id", "org/ckpts", "--hub_strategy", "all_checkpoints");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(server.Commits.Single(c => c.Repo == "org/ckpts" && c.Summary == "Training in progress, step 1").Files.Keys,
            Has.Member("checkpoint-1/model.safetensors").And.Member("checkpoint-1/optimizer.safetensors"));

        // Anyone can now fetch it as a Hub model.
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", Path.Combine(_root, "other-cache"));
        var folder = Trl.Hub.HubPaths.ResolveModel("org/my-sft");
        using var model = CausalLM.FromPretrained(folder);
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), Is.EqualTo(File.ReadAllBytes(Path.Combine(outDir, "model.safetensors"))));
    }

    [Test]
    public void A_yaml_datasets_mixture_trains_and_evaluates_on_its_test_split()
    {
        using var server = new HubTestServer();
        Serve(server);
        var local = Path.Combine(_root, "local");
        Directory.CreateDirectory(local);
        File.Copy(Fixtures.EmbeddedDefault("train.jsonl"), Path.Combine(local, "train.jsonl"));
        var yaml = Path.Combine(_root, "mix.yaml");
        File.WriteAllText(yaml, $"""
            model_name_or_path: org/tiny-reverser
            datasets:
              - path: {local}
                columns: [prompt, completion]
                fraction: 0.5
              - path: org/reversal
                name: words
                fraction: 0.5
            test_split_size: 0.05
            eval_strategy: steps
            eval_steps: 2
            max_steps: 2
            logging_steps: 1
            per_device_train_batch_size: 4
            output_dir: {Path.Combine(_root, "mixed")}
            """);
        var (code, output, error) = CliRunner.Run("sft", "--config", yaml);
        Assert.That(code, Is.EqualTo(0), error + output);
        var folder = Path.Combine(_root, "mixed", "_mixture");
        int train = File.ReadAllLines(Path.Combine(folder, "train.jsonl")).Length, test = File.ReadAllLines(Path.Combine(folder, "test.jsonl")).Length;
        int rows = File.ReadAllLines(Fixtures.EmbeddedDefault("train.jsonl")).Length;
        Assert.That(train + test, Is.EqualTo(2 * rows), "equal shares of two same-sized datasets");
        Assert.That(test, Is.EqualTo((int)Math.Ceiling(0.05 * 2 * rows)));
        Assert.That(File.ReadAllText(Path.Combine(_root, "mixed", "metrics.jsonl")), Does.Contain("eval_loss"));
    }
}
