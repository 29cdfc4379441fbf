using System.Text.RegularExpressions;

namespace Trl.Hub;

/// <summary>Turns a <c>model_name_or_path</c> / <c>dataset_name</c> into a local folder as transformers and datasets do:
/// an existing path is itself; an <c>org/name</c> id is its snapshot in the Hugging Face cache, downloaded when the
/// cache lacks it (only the files a Trl.NET model or dataset needs).</summary>
public static partial class HubPaths
{
    /// <summary>Whether <paramref name="nameOrPath"/> names a Hub repository rather than a local path: no such file or
    /// folder exists, and it has the Hub's <c>org/name</c> shape (a bare legacy name such as <c>gpt2</c> is taken as a
    /// path, so a mistyped local folder never becomes a download).</summary>
    public static bool IsRepoId(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        return !Directory.Exists(nameOrPath) && !File.Exists(nameOrPath) && RepoId().IsMatch(nameOrPath)
            && !nameOrPath.Contains("--", StringComparison.Ordinal) && !nameOrPath.Contains("..", StringComparison.Ordinal);
    }

    /// <summary>The local folder of a model: the path itself, or the cached snapshot of the Hub repository at
    /// <paramref name="revision"/> (model_revision; default main) with its config, weights, tokenizer and template files.</summary>
    public static string ResolveModel(string nameOrPath, string? revision = null, TextWriter? progress = null, HubSettings? settings = null)
    {
        if (!IsRepoId(nameOrPath)) return nameOrPath;
        using var client = new HubClient(settings ?? HubSettings.FromEnvironment(), progress);
        return client.Snapshot(HubRepoType.Model, nameOrPath, revision ?? "main", IsModelFile);
    }

    /// <summary>The local folder of a dataset: the path itself, or the cached snapshot of the Hub dataset repository with
    /// its card and the data files (parquet, jsonl, json, arrow) of <paramref name="config"/> — the card is fetched
    /// first, so only that configuration's files are downloaded (null: the default configuration's).</summary>
    public static string ResolveDataset(string nameOrPath, string? revision = null, TextWriter? progress = null, HubSettings? settings = null, string? config = null)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        if (!IsRepoId(nameOrPath)) return nameOrPath;
        using var client = new HubClient(settings ?? HubSettings.FromEnvironment(), progress);
        if (client.Settings.Offline) return client.Snapshot(HubRepoType.Dataset, nameOrPath, revision ?? "main", IsDatasetFile);
        Func<string, bool> include = IsDatasetFile;
        try
        {
            var info = client.GetRevision(HubRepoType.Dataset, nameOrPath, revision ?? "main");
            if (info.Files.Contains("README.md"))
            {
                var card = Trl.Data.DatasetCard.TryRead(Path.GetDirectoryName(client.DownloadFile(HubRepoType.Dataset, nameOrPath, info.Sha, "README.md"))!);
                if (card is not null)
                {
                    var selects = card.Selects(config);
                    include = f => f == "README.md" || (IsDatasetFile(f) && selects(f));
                }
                else if (config is not null) include = f => f == "README.md" || (IsDatasetFile(f) && f.StartsWith(config + "/", StringComparison.Ordinal));
            }
        }
        catch (HttpRequestException) { /* unreachable: Snapshot below falls back to the cache or says so */ }
        return client.Snapshot(HubRepoType.Dataset, nameOrPath, revision ?? "main", include);
    }

    /// <summary>Model files Trl.NET reads: configs, safetensors (single or sharded with their index), tokenizer files and
    /// chat templates. PyTorch .bin / .pth, ONNX, TF and Flax weights are not fetched.</summary>
    public static bool IsModelFile(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var name = Path.GetFileName(file);
        if (file.Contains('/', StringComparison.Ordinal) && !file.StartsWith("additional_chat_templates/", StringComparison.Ordinal)) return false;
        return name.EndsWith(".json", StringComparison.Ordinal) || name.EndsWith(".safetensors", StringComparison.Ordinal)
            || name.EndsWith(".jinja", StringComparison.Ordinal) || name is "tokenizer.model" or "merges.txt" or "vocab.txt";
    }

    /// <summary>Dataset files: the card (its YAML names configs and splits) and data in the formats Trl.NET reads.</summary>
    public static bool IsDatasetFile(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file == "README.md" || file.EndsWith(".parquet", StringComparison.Ordinal) || file.EndsWith(".jsonl", StringComparison.Ordinal)
            || file.EndsWith(".json", StringComparison.Ordinal) || file.EndsWith(".arrow", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex RepoId();
}
