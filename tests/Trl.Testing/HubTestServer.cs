using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Trl.Testing;

/// <summary>A Hugging Face Hub on 127.0.0.1 for tests (no test may touch the internet), speaking the endpoints Trl.NET
/// uses as the Hub does: the revision API (<c>/api/{models|datasets}/{id}/revision/{rev}</c>), <c>/resolve/</c> with
/// HEAD metadata (X-Repo-Commit, ETag = git blob sha1, or X-Linked-Etag = sha256 with a 302 to a CDN host for LFS
/// files), Range requests (206), the X-Error-Code 404s, bearer tokens for private repositories, and the commit API
/// (<c>/api/repos/create</c>, <c>/api/{type}s/{id}/preupload/{rev}</c>, LFS batch + PUT, <c>/commit/{rev}</c>).</summary>
public sealed class HubTestServer : IDisposable
{
    sealed record Repo(string Sha, Dictionary<string, byte[]> Files, string? Token, Dictionary<string, string> Refs);

    readonly HttpListener _listener = new();
    readonly ConcurrentDictionary<string, Repo> _repos = new();
    readonly ConcurrentDictionary<string, byte[]> _lfsUploads = new();
    readonly ConcurrentDictionary<string, int> _cuts = new();
    readonly Thread _thread;

    public HubTestServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Prefixes.Add($"http://localhost:{Port}/");
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "hub-test-server" };
        _thread.Start();
    }

    public int Port { get; }
    /// <summary>The Hub's URL (HF_ENDPOINT).</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";
    /// <summary>"METHOD path [range] [auth]" per request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>Commits received: repo key → (summary, files by path).</summary>
    public ConcurrentQueue<(string Repo, string Summary, Dictionary<string, byte[]> Files)> Commits { get; } = new();
    /// <summary>Repositories created through /api/repos/create, with their visibility.</summary>
    public ConcurrentQueue<(string Repo, bool Private)> Created { get; } = new();

    /// <summary>Serves <paramref name="files"/> as <paramref name="repoId"/> at commit <paramref name="sha"/>, under main and
    /// any <paramref name="tags"/>; with a token the repository is private.</summary>
    public void AddRepo(string type, string repoId, string sha, IDictionary<string, byte[]> files, string? token = null, params string[] tags)
    {
        var refs = new Dictionary<string, string> { ["main"] = sha };
        foreach (var t in tags) refs[t] = sha;
        _repos[Key(type, repoId)] = new Repo(sha, new Dictionary<string, byte[]>(files), token, refs);
    }

    /// <summary>Serves every file of a local folder (recursively) as a repository.</summary>
    public void AddFolder(string type, string repoId, string sha, string folder, string? token = null) =>
        AddRepo(type, repoId, sha, Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes), token);

    /// <summary>The next GET of <paramref name="file"/> sends only <paramref name="bytes"/> bytes, then drops the connection.</summary>
    public void CutNextDownload(string file, int bytes) => _cuts[file] = bytes;

    public static string GitBlobSha1(byte[] data)
    {
        var header = Encoding.ASCII.GetBytes($"blob {data.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. data]));
    }

    static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal) || file.EndsWith(".parquet", StringComparison.Ordinal);
    static string Key(string type, string repoId) => $"{type}:{repoId}";

    void Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = _listener.GetContext(); }
            catch (HttpListenerException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (InvalidOperationException) { return; }
            try { Handle(context); }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
            finally { try { context.Response.Close(); } catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException) { } }
        }
    }

    void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url!.AbsolutePath;
        var auth = request.Headers["Authorization"];
        Requests.Enqueue($"{request.HttpMethod} {request.Url.Host} {path}{(request.Headers["Range"] is { } r ? " " + r : "")}{(auth is null ? "" : " auth")}");
        var segments = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();

        if (segments is ["cdn", var oid])
        {
            var blob = _repos.Values.SelectMany(v => v.Files).Select(f => f.Value).FirstOrDefault(b => Convert.ToHexStringLower(SHA256.HashData(b)) == oid);
            if (blob is null) { response.StatusCode = 404; return; }
            SendBody(context, blob, oid);
            return;
        }
        if (segments is ["api", "repos", "create"] && request.HttpMethod == "POST") { CreateRepo(context); return; }
        if (segments.Length >= 4 && segments[0] == "api" && segments[1] is "models" or "datasets")
        {
            string type = segments[1] == "models" ? "model" : "dataset";
            // /api/{type}s/{org}/{name}/{revision|preupload|commit}/{rev}
            var repoId = $"{segments[2]}/{segments[3]}";
            var action = segments.ElementAtOrDefault(4);
            var rev = Uri.UnescapeDataString(string.Join('/', segments.Skip(5)));
            if (action == "revision") { RevisionInfo(context, type, repoId, rev); return; }
            if (action == "preupload") { Preupload(context); return; }
            if (action == "commit") { Commit(context, type, repoId); return; }
        }
        if (segments.Length >= 2 && segments[^1] == "batch" && path.Contains(".git/info/lfs/objects/batch", StringComparison.Ordinal)) { LfsBatch(context); return; }
        if (segments is ["lfs-upload", var uploadOid] && request.HttpMethod == "PUT")
        {
            using var ms = new MemoryStream();
            request.InputStream.CopyTo(ms);
            _lfsUploads[uploadOid] = ms.ToArray();
            response.StatusCode = 200;
            return;
        }
        // /{datasets/}{org}/{name}/resolve/{rev}/{file...}
        int at = segments[0] == "datasets" ? 1 : 0;
        if (segments.Length >= at + 5 && segments[at + 2] == "resolve")
        {
            Resolve(context, at == 1 ? "dataset" : "model", $"{segments[at]}/{segments[at + 1]}", segments[at + 3], string.Join('/', segments.Skip(at + 4)));
            return;
        }
        response.StatusCode = 404;
    }

    bool Authorized(HttpListenerContext context, Repo repo)
    {
        if (repo.Token is null || context.Request.Headers["Authorization"] == $"Bearer {repo.Token}") return true;
        context.Response.StatusCode = 401;
        context.Response.Headers["X-Error-Code"] = "RepoNotFound";
        return false;
    }

    void RevisionInfo(HttpListenerContext context, string type, string repoId, string rev)
    {
        if (!_repos.TryGetValue(Key(type, repoId), out var repo)) { Error(context, 404, "RepoNotFound"); return; }
        if (!Authorized(context, repo)) return;
        if (!repo.Refs.TryGetValue(rev, out var sha) && rev != repo.Sha) { Error(context, 404, "RevisionNotFound"); return; }
        var json = new JsonObject
        {
            ["id"] = repoId, ["sha"] = repo.Sha, ["private"] = repo.Token is not null,
            ["siblings"] = new JsonArray(repo.Files.Keys.Order(StringComparer.Ordinal).Select(f => (JsonNode)new JsonObject { ["rfilename"] = f }).ToArray()),
        };
        SendJson(context, json);
    }

    void Resolve(HttpListenerContext context, string type, string repoId, string rev, string file)
    {
        var response = context.Response;
        if (!_repos.TryGetValue(Key(type, repoId), out var repo)) { Error(context, 404, "RepoNotFound"); return; }
        if (!Authorized(context, repo)) return;
        if (!repo.Refs.ContainsKey(rev) && rev != repo.Sha) { Error(context, 404, "RevisionNotFound"); return; }
        response.Headers["X-Repo-Commit"] = repo.Sha;
        if (!repo.Files.TryGetValue(file, out var data)) { Error(context, 404, "EntryNotFound"); return; }
        if (IsLfs(file))
        {
            // As the Hub: LFS files redirect to a CDN on another host, with the sha256 as the linked ETag.
            var oid = Convert.ToHexStringLower(SHA256.HashData(data));
            response.StatusCode = 302;
            response.Headers["X-Linked-Etag"] = $"\"{oid}\"";
            response.Headers["X-Linked-Size"] = data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.RedirectLocation = $"http://localhost:{Port}/cdn/{oid}";
            return;
        }
        SendBody(context, data, GitBlobSha1(data), file);
    }

    void SendBody(HttpListenerContext context, byte[] data, string etag, string? file = null)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["ETag"] = $"\"{etag}\"";
        long start = 0;
        if (request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{data.Length - 1}/{data.Length}";
        }
        response.ContentLength64 = data.Length - start;
        if (request.HttpMethod == "HEAD") return;
        var key = file ?? _repos.Values.SelectMany(v => v.Files).FirstOrDefault(f => f.Value == data).Key;
        if (key is not null && _cuts.TryRemove(key, out var cut))
        {
            response.OutputStream.Write(data, (int)start, cut);
            response.OutputStream.Flush();
            response.Abort();
            return;
        }
        response.OutputStream.Write(data, (int)start, (int)(data.Length - start));
    }

    void CreateRepo(HttpListenerContext context)
    {
        var body = JsonNode.Parse(new StreamReader(context.Request.InputStream).ReadToEnd())!;
        var type = body["type"]?.GetValue<string>() ?? "model";
        var id = $"{body["organization"]?.GetValue<string>() ?? "user"}/{body["name"]!.GetValue<string>()}";
        bool isPrivate = body["private"]?.GetValue<bool>() ?? body["visibility"]?.GetValue<string>() == "private";
        bool exists = _repos.ContainsKey(Key(type, id));
        if (!exists) _repos[Key(type, id)] = new Repo("0000000000000000000000000000000000000000", new(), null, new() { ["main"] = "0000000000000000000000000000000000000000" });
        Created.Enqueue((id, isPrivate));
        context.Response.StatusCode = exists ? 409 : 200;
        SendJson(context, new JsonObject { ["url"] = $"{Endpoint}/{(type == "dataset" ? "datasets/" : "")}{id}" });
    }

    void Preupload(HttpListenerContext context)
    {
        var body = JsonNode.Parse(new StreamReader(context.Request.InputStream).ReadToEnd())!;
        var files = ((JsonArray)body["files"]!).Select(f => (JsonNode)new JsonObject
        {
            ["path"] = f!["path"]!.GetValue<string>(),
            ["uploadMode"] = f["path"]!.GetValue<string>().EndsWith(".safetensors", StringComparison.Ordinal) ? "lfs" : "regular",
            ["shouldIgnore"] = false,
        }).ToArray();
        SendJson(context, new JsonObject { ["files"] = new JsonArray(files) });
    }

    void LfsBatch(HttpListenerContext context)
    {
        var body = JsonNode.Parse(new StreamReader(context.Request.InputStream).ReadToEnd())!;
        var objects = ((JsonArray)body["objects"]!).Select(o => (JsonNode)new JsonObject
        {
            ["oid"] = o!["oid"]!.GetValue<string>(), ["size"] = o["size"]!.GetValue<long>(),
            ["actions"] = new JsonObject { ["upload"] = new JsonObject { ["href"] = $"{Endpoint}/lfs-upload/{o["oid"]!.GetValue<string>()}", ["header"] = new JsonObject() } },
        }).ToArray();
        context.Response.ContentType = "application/vnd.git-lfs+json";
        SendJson(context, new JsonObject { ["transfer"] = "basic", ["objects"] = new JsonArray(objects) });
    }

    void Commit(HttpListenerContext context, string type, string repoId)
    {
        var lines = new StreamReader(context.Request.InputStream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string summary = "";
        var files = new Dictionary<string, byte[]>();
        foreach (var line in lines)
        {
            var op = JsonNode.Parse(line)!;
            var value = op["value"]!;
            switch (op["key"]!.GetValue<string>())
            {
                case "header": summary = value["summary"]!.GetValue<string>(); break;
                case "file": files[value["path"]!.GetValue<string>()] = Convert.FromBase64String(value["content"]!.GetValue<string>()); break;
                case "lfsFile":
                    var oid = value["oid"]!.GetValue<string>();
                    if (!_lfsUploads.TryGetValue(oid, out var blob)) { Error(context, 400, "LfsObjectMissing"); return; }
                    files[value["path"]!.GetValue<string>()] = blob;
                    break;
            }
        }
        var sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Join("\n", lines))));
        Commits.Enqueue((repoId, summary, files));
        _repos[Key(type, repoId)] = new Repo(sha, files, null, new() { ["main"] = sha });
        SendJson(context, new JsonObject { ["commitUrl"] = $"{Endpoint}/{(type == "dataset" ? "datasets/" : "")}{repoId}/commit/{sha}", ["commitOid"] = sha });
    }

    static void Error(HttpListenerContext context, int status, string code)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-Error-Code"] = code;
    }

    static void SendJson(HttpListenerContext context, JsonNode json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        context.Response.ContentType ??= "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
