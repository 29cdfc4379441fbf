using System.Text.RegularExpressions;

namespace Trl.Hub;

/// <summary>The Hugging Face cache layout, as huggingface_hub writes it:
/// <c>{cache}/{models|datasets}--org--name/{blobs/&lt;etag&gt;, refs/&lt;revision&gt;, snapshots/&lt;commit&gt;/&lt;file&gt;}</c>,
/// snapshot files being relative symlinks to their blob.</summary>
public sealed partial class HubCache(string cacheDir)
{
    /// <summary>The cache folder.</summary>
    public string CacheDir { get; } = cacheDir;

    /// <summary>The folder of one repository: <c>models--org--name</c> or <c>datasets--org--name</c>.</summary>
    public string RepoFolder(HubRepoType type, string repoId) =>
        Path.Combine(CacheDir, string.Join("--", [type == HubRepoType.Model ? "models" : "datasets", .. repoId.Split('/')]));

    /// <summary>The commit a revision names: itself when it is a 40-hex sha, else what <c>refs/&lt;revision&gt;</c>
    /// holds, or null when the cache has never resolved it.</summary>
    public string? ResolveRevision(HubRepoType type, string repoId, string revision)
    {
        if (IsCommitSha(revision)) return revision;
        var refFile = Path.Combine(RepoFolder(type, repoId), "refs", revision);
        return File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : null;
    }

    /// <summary>The snapshot folder of a revision when the cache has it, else null.</summary>
    public string? TrySnapshot(HubRepoType type, string repoId, string revision)
    {
        var commit = ResolveRevision(type, repoId, revision);
        if (commit is null) return null;
        var dir = Path.Combine(RepoFolder(type, repoId), "snapshots", commit);
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>Records that <paramref name="revision"/> (a branch or tag) now points at <paramref name="commit"/>
    /// (written atomically and without a trailing newline, as huggingface_hub does).</summary>
    public void WriteRef(HubRepoType type, string repoId, string revision, string commit)
    {
        if (revision == commit) return;
        var refFile = Path.Combine(RepoFolder(type, repoId), "refs", revision);
        if (File.Exists(refFile) && File.ReadAllText(refFile).Trim() == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
        var tmp = refFile + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, commit);
        File.Move(tmp, refFile, overwrite: true);
    }

    /// <summary>Links <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> to its blob (a relative symlink; a copy where symlinks
    /// cannot be made) and returns the snapshot path.</summary>
    public string LinkSnapshotFile(HubRepoType type, string repoId, string commit, string file, string blob)
    {
        var pointer = Path.Combine(RepoFolder(type, repoId), "snapshots", commit, file.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        if (File.Exists(pointer)) File.Delete(pointer);
        try { File.CreateSymbolicLink(pointer, Path.GetRelativePath(Path.GetDirectoryName(pointer)!, blob)); }
        catch (IOException) { File.Copy(blob, pointer); }
        catch (UnauthorizedAccessException) { File.Copy(blob, pointer); }
        return pointer;
    }

    /// <summary>Whether a revision string is a full commit sha.</summary>
    public static bool IsCommitSha(string revision) => CommitSha().IsMatch(revision);

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitSha();
}
