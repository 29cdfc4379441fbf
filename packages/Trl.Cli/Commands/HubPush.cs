using Trl.Cli.Arguments;
using Trl.Hub;

namespace Trl.Cli.Commands;

/// <summary>TRL's push_to_hub: at the end of a finished run, output_dir (the model or adapter, tokenizer files, model
/// card, metrics, curves; not checkpoints, private "_*" files or the tokenization cache, as transformers skips them) is
/// uploaded in one commit to hub_model_id, created private when hub_private_repo is set. hub_strategy as transformers:
/// every_save (default) also pushes the model of each checkpoint ("Training in progress, step N"), checkpoint pushes
/// the latest checkpoint folder as last-checkpoint/, all_checkpoints each as checkpoint-N/, end only the final model.
/// Uploads run in the training loop (transformers pushes in the background).</summary>
internal sealed class HubPush : Trl.Training.ITrainerCallback
{
    public bool Enabled { get; private init; }
    public string Strategy { get; private init; } = "every_save";
    TextWriter? _output;
    string? _tokenizerPath;
    public string? RepoId { get; private init; }
    public bool Private { get; private init; }
    public string? Token { get; private init; }
    public IReadOnlyList<string> Notices { get; private init; } = [];

    public static HubPush Take(CliArguments args)
    {
        bool enabled = args.Take("push_to_hub") is { } p && ParseBool("push_to_hub", p);
        var repo = args.Take("hub_model_id");
        bool isPrivate = args.Take("hub_private_repo") is { } hp && hp is not ("None" or "null" or "~") && ParseBool("hub_private_repo", hp);
        var token = args.Take("hub_token");
        var strategy = args.Take("hub_strategy");
        var notices = new List<string>();
        if (strategy is not (null or "end" or "every_save" or "checkpoint" or "all_checkpoints"))
            throw new CliException($"--hub_strategy {strategy}: expected end, every_save, checkpoint or all_checkpoints.");
        if (!enabled && repo is not null) notices.Add("notice: hub_model_id is set but push_to_hub is false: nothing is uploaded.");
        return new HubPush { Enabled = enabled, RepoId = repo is "None" ? null : repo, Private = isPrivate, Token = token is "None" ? null : token, Notices = notices, Strategy = strategy ?? "every_save" };
    }

    static bool ParseBool(string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new CliException($"--{key}: '{value}' is not a valid boolean."),
    };

    /// <summary>Joins a run: checkpoints are pushed as hub_strategy says, with the tokenizer files of
    /// <paramref name="tokenizerPath"/> next to each pushed model.</summary>
    public void Attach(TextWriter output, string tokenizerPath)
    {
        _output = output;
        _tokenizerPath = tokenizerPath;
    }

    /// <summary>Uploads output_dir when push_to_hub is on.</summary>
    public void Upload(string outputDir, TextWriter output)
    {
        if (!Enabled) return;
        using var client = Client(output);
        var url = client.UploadFolder(HubRepoType.Model, Repo(outputDir), outputDir, "End of training", Private, Excluded);
        output.WriteLine($"pushed to the Hub: {url}");
    }

    /// <inheritdoc />
    public void OnSave(Trl.Training.TrainerState state, string checkpointDir)
    {
        if (!Enabled || Strategy == "end") return;
        var output = _output ?? TextWriter.Null;
        var outputDir = Path.GetDirectoryName(Path.GetFullPath(checkpointDir))!;
        using var client = Client(output);
        var message = $"Training in progress, step {state.GlobalStep}";
        switch (Strategy)
        {
            case "every_save":
                // The checkpoint's model (weights, config, adapter) and the tokenizer at the repository's root.
                var staging = Path.Combine(outputDir, $"_push-{state.GlobalStep}");
                Directory.CreateDirectory(staging);
                try
                {
                    foreach (var f in Directory.GetFiles(checkpointDir).Where(IsModelFile)) File.Copy(f, Path.Combine(staging, Path.GetFileName(f)), overwrite: true);
                    if (_tokenizerPath is not null)
                        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json" }.Select(n => Path.Combine(_tokenizerPath, n)).Where(File.Exists))
                            File.Copy(f, Path.Combine(staging, Path.GetFileName(f)), overwrite: true);
                    client.UploadFolder(HubRepoType.Model, Repo(outputDir), staging, message, Private);
                }
                finally { Directory.Delete(staging, recursive: true); }
                break;
            case "checkpoint":
                client.UploadFolder(HubRepoType.Model, Repo(outputDir), checkpointDir, message, Private, pathInRepo: "last-checkpoint");
                break;
            case "all_checkpoints":
                client.UploadFolder(HubRepoType.Model, Repo(outputDir), checkpointDir, message, Private, pathInRepo: Path.GetFileName(checkpointDir));
                break;
        }
        output.WriteLine($"pushed step {state.GlobalStep} to the Hub ({Strategy})");
    }

    static bool IsModelFile(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith("model", StringComparison.Ordinal) && name.Contains(".safetensors", StringComparison.Ordinal)
            || name.StartsWith("adapter_", StringComparison.Ordinal) || name is "config.json" or "generation_config.json";
    }

    HubClient Client(TextWriter output)
    {
        var settings = HubSettings.FromEnvironment();
        if (Token is not null) settings = settings with { Token = Token };
        return new HubClient(settings, output);
    }

    string Repo(string outputDir) => RepoId ?? Path.GetFileName(Path.GetFullPath(outputDir).TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>What transformers' push_to_hub leaves out (checkpoints, "_*"), plus the tokenization cache and temp files.</summary>
    static bool Excluded(string path)
    {
        var first = path.Split('/')[0];
        return first.StartsWith("checkpoint-", StringComparison.Ordinal) || first.StartsWith('_') || first.StartsWith('.')
            || (first.StartsWith("tokenized-", StringComparison.Ordinal) && first.EndsWith(".json", StringComparison.Ordinal))
            || path.EndsWith(".tmp", StringComparison.Ordinal);
    }
}
