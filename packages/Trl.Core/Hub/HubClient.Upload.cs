using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Trl.Hub;

/// <summary>Uploads (push_to_hub), as huggingface_hub's create_repo + upload_folder do over the Hub's HTTP API:
/// create the repository (an existing one is fine), ask which files go through LFS (preupload), upload those with the
/// git-lfs batch API, then one commit naming every file (small ones inline, base64).</summary>
public sealed partial class HubClient
{
    /// <summary>Uploads every file under <paramref name="folder"/> (except what <paramref name="exclude"/> rejects, by
    /// relative path) to <paramref name="repoId"/> in one commit — under <paramref name="pathInRepo"/> when given —
    /// creating the repository (private when asked) if it does not exist, and returns the commit URL.</summary>
    public string UploadFolder(HubRepoType type, string repoId, string folder, string commitMessage, bool isPrivate = false,
        Func<string, bool>? exclude = null, string revision = "main", string? pathInRepo = null)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        ArgumentNullException.ThrowIfNull(folder);
        if (Settings.Offline) throw new HubException($"{Describe(type, repoId, revision)}: cannot upload with HF_HUB_OFFLINE set.");
        if (Settings.Token is null) throw new HubException($"{Describe(type, repoId, revision)}: uploading needs a token (HF_TOKEN, or hub_token).");
        var kind = type == HubRepoType.Model ? "models" : "datasets";
        CreateRepo(type, repoId, isPrivate);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Path: System.IO.Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .Where(f => !(exclude?.Invoke(f.Path) ?? false))
            .Select(f => (f.Full, Path: pathInRepo is null ? f.Path : pathInRepo.TrimEnd('/') + "/" + f.Path))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new HubException($"{folder}: nothing to upload.");

        var preupload = new JsonObject
        {
            ["files"] = new JsonArray(files.Select(f => (JsonNode)new JsonObject
            {
                ["path"] = f.Path, ["size"] = new FileInfo(f.Full).Length, ["sample"] = Convert.ToBase64String(Head(f.Full, 512)),
            }).ToArray()),
        };
        var modes = PostJson($"{Settings.Endpoint}/api/{kind}/{repoId}/preupload/{Uri.EscapeDataString(revision)}", preupload, type, repoId, revision)["files"] as JsonArray ?? [];
        var lfs = modes.Where(m => m?["uploadMode"]?.GetValue<string>() == "lfs").Select(m => m!["path"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

        var oids = files.Where(f => lfs.Contains(f.Path)).ToDictionary(f => f.Path, f => (Oid: Sha256(f.Full), Size: new FileInfo(f.Full).Length, f.Full));
        if (oids.Count > 0) UploadLfs(type, repoId, revision, oids.Values.ToList());

        var body = new StringBuilder();
        body.Append(new JsonObject { ["key"] = "header", ["value"] = new JsonObject { ["summary"] = commitMessage, ["description"] = "" } }.ToJsonString()).Append('\n');
        foreach (var f in files)
        {
            JsonObject op = oids.TryGetValue(f.Path, out var o)
                ? new JsonObject { ["key"] = "lfsFile", ["value"] = new JsonObject { ["path"] = f.Path, ["algo"] = "sha256", ["oid"] = o.Oid, ["size"] = o.Size } }
                : new JsonObject { ["key"] = "file", ["value"] = new JsonObject { ["content"] = Convert.ToBase64String(File.ReadAllBytes(f.Full)), ["path"] = f.Path, ["encoding"] = "base64" } };
            body.Append(op.ToJsonString()).Append('\n');
        }
        using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson");
        using var response = Send(HttpMethod.Post, $"{Settings.Endpoint}/api/{kind}/{repoId}/commit/{Uri.EscapeDataString(revision)}", null, content: content);
        Check(response, type, repoId, revision, null);
        var commit = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        var url = commit?["commitUrl"]?.GetValue<string>() ?? $"{Settings.Endpoint}/{repoId}";
        _progress?.WriteLine($"uploaded {files.Count} files ({oids.Count} through LFS) to {repoId}: {url}");
        return url;
    }

    void CreateRepo(HubRepoType type, string repoId, bool isPrivate)
    {
        var parts = repoId.Split('/');
        var body = new JsonObject { ["name"] = parts[^1], ["organization"] = parts.Length > 1 ? parts[0] : null, ["private"] = isPrivate };
        if (type == HubRepoType.Dataset) body["type"] = "dataset";
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = Send(HttpMethod.Post, $"{Settings.Endpoint}/api/repos/create", null, content: content);
        // 409: the repository exists already, which is what a second push expects.
        if (response.StatusCode != HttpStatusCode.Conflict) Check(response, type, repoId, "main", null);
    }

    void UploadLfs(HubRepoType type, string repoId, string revision, List<(string Oid, long Size, string Full)> objects)
    {
        var batch = new JsonObject
        {
            ["operation"] = "upload", ["transfers"] = new JsonArray("basic"), ["hash_algo"] = "sha256",
            ["objects"] = new JsonArray(objects.Select(o => (JsonNode)new JsonObject { ["oid"] = o.Oid, ["size"] = o.Size }).ToArray()),
            ["ref"] = new JsonObject { ["name"] = revision },
        };
        var url = $"{Settings.Endpoint}/{(type == HubRepoType.Dataset ? "datasets/" : "")}{repoId}.git/info/lfs/objects/batch";
        using var content = new StringContent(batch.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.git-lfs+json");
        using var response = Send(HttpMethod.Post, url, null, content: content);
        Check(response, type, repoId, revision, null);
        var answer = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())?["objects"] as JsonArray ?? [];
        foreach (var item in answer)
        {
            if (item?["error"] is { } error) throw new HubException($"{repoId}: LFS upload refused: {error["message"]?.GetValue<string>()}.");
            // No upload action: the Hub already has this object.
            if (item?["actions"]?["upload"]?["href"]?.GetValue<string>() is not { } href) continue;
            var oid = item["oid"]!.GetValue<string>();
            var file = objects.First(o => o.Oid == oid);
            using var stream = File.OpenRead(file.Full);
            using var put = new StreamContent(stream);
            using var uploaded = Send(HttpMethod.Put, href, null, content: put);
            if (!uploaded.IsSuccessStatusCode) throw new HubException($"{repoId}: uploading {Path.GetFileName(file.Full)} failed: HTTP {(int)uploaded.StatusCode}.");
            _progress?.WriteLine($"uploaded {Path.GetFileName(file.Full)} ({file.Size / 1e6:F1} MB, LFS)");
        }
    }

    JsonNode PostJson(string url, JsonObject body, HubRepoType type, string repoId, string revision)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = Send(HttpMethod.Post, url, null, content: content);
        Check(response, type, repoId, revision, null);
        return JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult()) ?? new JsonObject();
    }

    static byte[] Head(string file, int count)
    {
        using var stream = File.OpenRead(file);
        var buffer = new byte[Math.Min(count, stream.Length)];
        stream.ReadExactly(buffer);
        return buffer;
    }

    static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
