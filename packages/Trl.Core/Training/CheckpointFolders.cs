using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trl.Training;

/// <summary>Checkpoint folders that a crash can never leave half-written or half-deleted: a checkpoint is written into a
/// hidden temporary folder and renamed into place; one being replaced or pruned is first renamed to a hidden
/// <c>.deleting</c> name and only then deleted; leftovers of both are removed when a run starts. A checkpoint is
/// complete only with its manifest (<see cref="ManifestName"/>, written last), which lists every file and its size
/// and is checked before resuming.</summary>
public static class CheckpointFolders
{
    /// <summary>The manifest of a complete checkpoint.</summary>
    public const string ManifestName = "checkpoint_manifest.json";
    const string Prefix = "checkpoint-";

    /// <summary>Removes what interrupted saves and deletions left in <paramref name="outputDir"/>.</summary>
    internal static void RemoveLeftovers(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return;
        foreach (var dir in Directory.GetDirectories(outputDir, ".checkpoint-*"))
            if (dir.EndsWith(".tmp", StringComparison.Ordinal) || dir.EndsWith(".deleting", StringComparison.Ordinal))
                TryDelete(dir);
    }

    /// <summary>Writes a checkpoint: <paramref name="write"/> fills a temporary folder, the manifest is added, and the
    /// folder is renamed to <c>checkpoint-N</c> (an existing one is moved aside first, then deleted).</summary>
    internal static string Save(string outputDir, int step, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Directory.CreateDirectory(outputDir);
        var final = Path.Combine(outputDir, Prefix + step.ToString(CultureInfo.InvariantCulture));
        var tmp = Path.Combine(outputDir, $".{Prefix}{step}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(tmp);
        try
        {
            write(tmp);
            WriteManifest(tmp, step);
            string? old = null;
            if (Directory.Exists(final))
            {
                old = Path.Combine(outputDir, $".{Prefix}{step}.{Guid.NewGuid():N}.deleting");
                Directory.Move(final, old);
            }
            Directory.Move(tmp, final);
            if (old is not null) TryDelete(old);
            return final;
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Deletes a checkpoint so that it is never seen half-deleted: renamed away first.</summary>
    internal static void Delete(string checkpoint)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        var aside = Path.Combine(parent, $".{Path.GetFileName(checkpoint)}.{Guid.NewGuid():N}.deleting");
        Directory.Move(checkpoint, aside);
        TryDelete(aside);
    }

    /// <summary>The checkpoints in <paramref name="outputDir"/> by step, newest first.</summary>
    public static IReadOnlyList<(string Directory, int Step)> List(string outputDir) =>
        !Directory.Exists(outputDir) ? []
        : Directory.GetDirectories(outputDir, Prefix + "*")
            .Select(d => (Dir: d, Step: int.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1))
            .Where(x => x.Step >= 0).OrderByDescending(x => x.Step).ToList();

    /// <summary>Why <paramref name="checkpoint"/> cannot be resumed from (a missing or truncated file, no manifest), or null when it is complete.</summary>
    public static string? Problem(string checkpoint)
    {
        var manifestPath = Path.Combine(checkpoint, ManifestName);
        if (!File.Exists(manifestPath)) return $"{checkpoint}: no {ManifestName}: the checkpoint is incomplete (or was not written by Trl.NET)";
        JsonObject files;
        try
        {
            files = (JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject)?["files"] as JsonObject
                ?? throw new InvalidDataException("no 'files' object");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException)
        {
            return $"{manifestPath}: unreadable manifest ({e.Message})";
        }
        foreach (var (name, size) in files)
        {
            var path = Path.Combine(checkpoint, name);
            if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('.'))
                return $"{manifestPath}: bad file name '{name}'";
            if (!File.Exists(path)) return $"{checkpoint}: {name} is missing: the checkpoint is incomplete";
            if (size is not JsonValue v || !v.TryGetValue<long>(out var bytes) || new FileInfo(path).Length != bytes)
                return $"{checkpoint}: {name} has {new FileInfo(path).Length} bytes, the manifest says {size?.ToJsonString()}: the checkpoint is damaged";
        }
        return null;
    }

    /// <summary>The newest complete checkpoint in <paramref name="outputDir"/> (transformers' get_last_checkpoint,
    /// skipping incomplete ones), or null.</summary>
    public static string? Latest(string outputDir) => List(outputDir).Select(c => c.Directory).FirstOrDefault(d => Problem(d) is null);

    static void WriteManifest(string dir, int step)
    {
        var files = new JsonObject();
        foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            files[Path.GetFileName(f)] = new FileInfo(f).Length;
        var manifest = new JsonObject { ["global_step"] = step, ["files"] = files };
        File.WriteAllText(Path.Combine(dir, ManifestName), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
