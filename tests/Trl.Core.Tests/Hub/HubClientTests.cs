using System.Text;
using Trl.Hub;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Hub;

/// <summary>Hub downloads against a Hub on 127.0.0.1 (<see cref="HubTestServer"/>): the cache layout huggingface_hub
/// writes (so Python tools share it), ETag reuse, Range resume, offline use, revisions, tokens, and a real model
/// (config, sharded safetensors, tokenizer) loaded from the snapshot it downloads.</summary>
public class HubClientTests
{
    const string Sha = "0123456789abcdef0123456789abcdef01234567";
    string _cache = null!;

    [SetUp]
    public void SetUp() => _cache = Path.Combine(Path.GetTempPath(), "trl-hub-tests", Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown() { if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true); }

    HubSettings Settings(HubTestServer server, string? token = null, bool offline = false) =>
        new() { Endpoint = server.Endpoint, CacheDir = _cache, Token = token, Offline = offline };

    static Dictionary<string, byte[]> Files() => new()
    {
        ["config.json"] = Encoding.UTF8.GetBytes("{\"model_type\": \"qwen2\"}"),
        ["model.safetensors"] = Enumerable.Range(0, 5000).Select(i => (byte)(i % 251)).ToArray(),
        ["README.md"] = Encoding.UTF8.GetBytes("# card"),
        ["pytorch_model.bin"] = new byte[10],
    };

    [Test]
    public void A_snapshot_is_written_in_the_huggingface_hub_cache_layout()
    {
        using var server = new HubTestServer();
        server.AddRepo("model", "org/tiny", Sha, Files());
        using var client = new HubClient(Settings(server));
        var dir = client.Snapshot(HubRepoType.Model, "org/tiny", "main", HubPaths.IsModelFile);

        var repo = Path.Combine(_cache, "models--org--tiny");
        Assert.That(dir, Is.EqualTo(Path.Combine(repo, "snapshots", Sha)));
        Assert.That(File.ReadAllText(Path.Combine(repo, "refs", "main")), Is.EqualTo(Sha), "refs/main holds the commit, no newline");
        var config = new FileInfo(Path.Combine(dir, "config.json"));
        Assert.That(config.LinkTarget, Is.EqualTo(Path.Combine("..", "..", "blobs", HubTestServer.GitBlobSha1(Files()["config.json"]))), "a relative symlink to blobs/<git sha1>");
        var weights = new FileInfo(Path.Combine(dir, "model.safetensors"));
        Assert.That(Path.GetFileName(weights.LinkTarget), Has.Length.EqualTo(64), "LFS files are stored under their sha256");
        Assert.That(File.ReadAllBytes(weights.FullName), Is.EqualTo(Files()["model.safetensors"]));
        Assert.That(File.Exists(Path.Combine(dir, "pytorch_model.bin")), Is.False, "only the files a Trl.NET model reads");
        Assert.That(File.Exists(Path.Combine(dir, "README.md")), Is.False);
    }

    [Test]
    public void Cached_blobs_are_reused_by_etag_and_offline_runs_need_no_server()
    {
        using var server = new HubTestServer();
        server.AddRepo("model", "org/tiny", Sha, Files());
        using (var client = new HubClient(Settings(server))) client.Snapshot(HubRepoType.Model, "org/tiny", "main", HubPaths.IsModelFile);
        int firstGets = server.Requests.Count(r => r.StartsWith("GET", StringComparison.Ordinal) && !r.Contains("/api/", StringComparison.Ordinal));
        Assert.That(firstGets, Is.EqualTo(2), "config.json and model.safetensors downloaded once");

        server.Requests.Clear();
        using (var client = new HubClient(Settings(server))) client.Snapshot(HubRepoType.Model, "org/tiny", "main", HubPaths.IsModelFile);
        Assert.That(server.Requests.Where(r => r.StartsWith("GET", StringComparison.Ordinal) && !r.Contains("/api/", StringComparison.Ordinal)), Is.Empty,
            "the second run only asks for metadata");

        server.Requests.Clear();
        using (var offline = new HubClient(Settings(server, offline: true)))
            Assert.That(File.Exists(Path.Combine(offline.Snapshot(HubRepoType.Model, "org/tiny"), "config.json")), Is.True);
        Assert.That(server.Requests, Is.Empty, "HF_HUB_OFFLINE: no request at all");

        using var missing = new HubClient(Settings(server, offline: true));
        var e = Assert.Throws<HubException>(() => missing.Snapshot(HubRepoType.Model, "org/other"));
        Assert.That(e!.Message, Does.Contain("org/other").And.Contain("HF_HUB_OFFLINE"));
    }

    [Test]
    public void An_interrupted_download_resumes_with_a_range_request()
    {
        using var server = new HubTestServer();
        server.AddRepo("model", "org/tiny", Sha, Files());
        server.CutNextDownload("config.json", 7);
        using var progress = new StringWriter();
        using var client = new HubClient(Settings(server), progress);
        var path = client.DownloadFile(HubRepoType.Model, "org/tiny", "main", "config.json");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(Files()["config.json"]));
        Assert.That(server.Requests, Has.Some.Contains("/resolve/main/config.json bytes=7-"), string.Join("\n", server.Requests));
        Assert.That(progress.ToString(), Does.Contain("interrupted").And.Contain("downloaded org/tiny/config.json"));
        Assert.That(Directory.GetFiles(Path.Combine(_cache, "models--org--tiny", "blobs"), "*.incomplete"), Is.Empty);
    }

    [Test]
    public void Private_repositories_need_the_token_and_it_never_goes_to_the_cdn()
    {
        using var server = new HubTestServer();
        server.AddRepo("model", "org/private", Sha, Files(), token: "hf_secret");
        using (var anonymous = new HubClient(Settings(server)))
        {
            var e = Assert.Throws<HubException>(() => anonymous.Snapshot(HubRepoType.Model, "org/private"));
            Assert.That(e!.Message, Does.Contain("org/private").And.Contain("HF_TOKEN"));
        }
        using var client = new HubClient(Settings(server, token: "hf_secret"));
        client.Snapshot(HubRepoType.Model, "org/private", "main", HubPaths.IsModelFile);
        Assert.That(server.Requests.Where(r => r.Contains("/cdn/", StringComparison.Ordinal)), Is.Not.Empty);
        Assert.That(server.Requests.Where(r => r.Contains("/cdn/", StringComparison.Ordinal) && r.EndsWith(" auth", StringComparison.Ordinal)), Is.Empty,
            "the bearer token is not sent to another host");
    }

    [Test]
    public void Revisions_resolve_through_refs_and_errors_name_what_is_missing()
    {
        using var server = new HubTestServer();
        server.AddRepo("model", "org/tiny", Sha, Files(), null, "v1.0");
        using var client = new HubClient(Settings(server));
        var dir = client.Snapshot(HubRepoType.Model, "org/tiny", "v1.0", HubPaths.IsModelFile);
        Assert.That(File.ReadAllText(Path.Combine(_cache, "models--org--tiny", "refs", "v1.0")), Is.EqualTo(Sha));
        Assert.That(new HubCache(_cache).TrySnapshot(HubRepoType.Model, "org/tiny", "v1.0"), Is.EqualTo(dir));
        Assert.That(Assert.Throws<HubException>(() => client.Snapshot(HubRepoType.Model, "org/tiny", "v9"))!.Message, Does.Contain("org/tiny@v9: no such revision"));
        Assert.That(Assert.Throws<HubException>(() => client.Snapshot(HubRepoType.Model, "org/none"))!.Message, Does.Contain("org/none: repository not found"));
        Assert.That(Assert.Throws<HubException>(() => client.DownloadFile(HubRepoType.Model, "org/tiny", "main", "nope.json"))!.Message, Does.Contain("nope.json: no such file"));
    }

    [Test]
    public void A_sharded_model_downloaded_from_the_hub_loads_and_matches_the_original()
    {
        var source = Path.Combine(_cache, "source");
        var config = ModelConfig.Load(Fixtures.EmbeddedDefault("config.json"));
        using var model = CausalLM.FromConfig(config, seed: 3);
        model.SavePretrained(source, maxShardSize: 20_000);
        Assert.That(File.Exists(Path.Combine(source, "model.safetensors.index.json")), Is.True, "saved as shards");
        using var server = new HubTestServer();
        server.AddFolder("model", "org/sharded", Sha, source);

        var settings = Settings(server) with { CacheDir = Path.Combine(_cache, "hub") };
        var dir = HubPaths.ResolveModel("org/sharded", settings: settings);
        using var loaded = CausalLM.FromPretrained(dir);
        using var ids = torch.tensor(new long[] { 1, 2, 3, 4 }).unsqueeze(0);
        using var expected = model.Forward(ids);
        using var actual = loaded.Forward(ids);
        TensorAssert.Close(actual, expected, atol: 0, what: "logits of the downloaded model");
    }

    [Test]
    public void A_dataset_download_fetches_the_card_then_only_the_chosen_configs_files()
    {
        using var server = new HubTestServer();
        server.AddRepo("dataset", "org/multi", Sha, new Dictionary<string, byte[]>
        {
            ["README.md"] = Encoding.UTF8.GetBytes("---\nconfigs:\n- config_name: en\n  default: true\n  data_files:\n  - split: train\n    path: en/train-*.parquet\n- config_name: fr\n  data_dir: fr\n---\n"),
            ["en/train-00000-of-00001.parquet"] = new byte[100],
            ["fr/train.jsonl"] = Encoding.UTF8.GetBytes("{\"text\": \"bonjour\"}\n"),
            ["fr/test.jsonl"] = Encoding.UTF8.GetBytes("{\"text\": \"salut\"}\n"),
            ["images/big.png"] = new byte[10],
        });
        var dir = HubPaths.ResolveDataset("org/multi", settings: Settings(server), config: "fr");
        Assert.That(Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { "README.md", Path.Combine("fr", "test.jsonl"), Path.Combine("fr", "train.jsonl") }));
        Assert.That(Trl.Data.DatasetLoader.Read(dir, "train", "fr").Single().GetString("text"), Is.EqualTo("bonjour"));
        dir = HubPaths.ResolveDataset("org/multi", settings: Settings(server));
        Assert.That(File.Exists(Path.Combine(dir, "en", "train-00000-of-00001.parquet")), Is.True, "the default config's files");
    }

    [Test]
    public void Only_org_slash_name_that_is_not_a_local_path_is_a_hub_id()
    {
        Assert.That(HubPaths.IsRepoId("Qwen/Qwen2.5-0.5B"), Is.True);
        Assert.That(HubPaths.IsRepoId("trl-lib/Capybara"), Is.True);
        Assert.That(HubPaths.IsRepoId("gpt2"), Is.False, "a bare name is a path");
        Assert.That(HubPaths.IsRepoId("./models/x"), Is.False);
        Assert.That(HubPaths.IsRepoId("/abs/path"), Is.False);
        Assert.That(HubPaths.IsRepoId("a/b/c"), Is.False);
        Assert.That(HubPaths.IsRepoId(Path.GetTempPath().TrimEnd('/')), Is.False);
    }

    [Test]
    public void Settings_follow_huggingface_hub_environment_rules()
    {
        var env = new Dictionary<string, string?> { ["HF_HOME"] = "/data/hf", ["HF_ENDPOINT"] = "http://127.0.0.1:9/", ["TRANSFORMERS_OFFLINE"] = "1" };
        var s = HubSettings.FromVariables(k => env.GetValueOrDefault(k));
        Assert.That(s.CacheDir, Is.EqualTo("/data/hf/hub"));
        Assert.That(s.Endpoint, Is.EqualTo("http://127.0.0.1:9"));
        Assert.That(s.Offline, Is.True);
        env["HF_HUB_CACHE"] = "/cache";
        env["HF_TOKEN"] = "hf_x";
        s = HubSettings.FromVariables(k => env.GetValueOrDefault(k));
        Assert.That((s.CacheDir, s.Token), Is.EqualTo(("/cache", "hf_x")));
        var tokenFile = Path.Combine(_cache, "token");
        Directory.CreateDirectory(_cache);
        File.WriteAllText(tokenFile, "hf_fromfile\n");
        s = HubSettings.FromVariables(k => k == "HF_TOKEN_PATH" ? tokenFile : null);
        Assert.That(s.Token, Is.EqualTo("hf_fromfile"));
    }
}
