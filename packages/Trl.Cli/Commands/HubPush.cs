using Trl.Cli.Arguments;
using Trl.Hub;

namespace Trl.Cli.Commands;

/// <summary>TRL's push_to_hub: at the end of a finished run, output_dir (the model or adapter, tokenizer files,
/// metrics, curves; not checkpoints, private "_*" files or the tokenization cache, as transformers skips them) is
/// uploaded in one commit to hub_model_id, created private when hub_private_repo is set.</summary>
internal sealed class HubPush
{
    public bool Enabled { get; private init; }
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
        if (enabled && strategy is not (null or "end"))
            notices.Add($"notice: hub_strategy={strategy} is accepted but the model is pushed once, when training ends.");
        if (!enabled && repo is not null) notices.Add("notice: hub_model_id is set but push_to_hub is false: nothing is uploaded.");
        return new HubPush { Enabled = enabled, RepoId = repo is "None" ? null : repo, Private = isPrivate, Token = token is "None" ? null : token, Notices = notices };
    }

    static bool ParseBool(string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new CliException($"--{key}: '{value}' is not a valid boolean."),
    };

    /// <summary>Uploads output_dir when push_to_hub is on.</summary>
    public void Upload(string outputDir, TextWriter output)
    {
        if (!Enabled) return;
        var settings = HubSettings.FromEnvironment();
        if (Token is not null) settings = settings with { Token = Token };
        var repo = RepoId ?? Path.GetFileName(Path.GetFullPath(outputDir).TrimEnd(Path.DirectorySeparatorChar));
        using var client = new HubClient(settings, output);
        var url = client.UploadFolder(HubRepoType.Model, repo, outputDir, "End of training", Private, Excluded);
        output.WriteLine($"pushed to the Hub: {url}");
    }

    /// <summary>What transformers' push_to_hub leaves out (checkpoints, "_*"), plus the tokenization cache and temp files.</summary>
    static bool Excluded(string path)
    {
        var first = path.Split('/')[0];
        return first.StartsWith("checkpoint-", StringComparison.Ordinal) || first.StartsWith('_') || first.StartsWith('.')
            || (first.StartsWith("tokenized-", StringComparison.Ordinal) && first.EndsWith(".json", StringComparison.Ordinal))
            || path.EndsWith(".tmp", StringComparison.Ordinal);
    }
}
