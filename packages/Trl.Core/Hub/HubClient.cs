using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Trl.Hub;

/// <summary>Downloads repository files from the Hugging Face Hub into the shared cache, as huggingface_hub's
/// hf_hub_download and snapshot_download do: a HEAD on <c>/resolve/</c> names the commit and the ETag, a blob already
/// cached under that ETag is reused without a download, a partial <c>blobs/&lt;etag&gt;.incomplete</c> resumes with a
/// Range request, and offline (or with the Hub unreachable) whatever the cache holds is used.</summary>
public sealed partial class HubClient : IDisposable
{
    const int MaxRetries = 5;
    readonly HttpClient _http;
    readonly TextWriter? _progress;

    /// <summary>A client over <paramref name="settings"/>; progress lines go to <paramref name="progress"/> when given.</summary>
    public HubClient(HubSettings settings, TextWriter? progress = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        Cache = new HubCache(settings.CacheDir);
        _progress = progress;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: true) { Timeout = TimeSpan.FromMinutes(30) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("trl.net/1.1 hf_hub/compatible");
    }

    /// <summary>Where the Hub and the cache are.</summary>
    public HubSettings Settings { get; }
    /// <summary>The cache this client writes.</summary>
    public HubCache Cache { get; }

    /// <summary>The local snapshot folder of <paramref name="repoId"/> at <paramref name="revision"/>, holding every file
    /// that <paramref name="include"/> accepts (all when null); what the cache lacks is downloaded.</summary>
    public string Snapshot(HubRepoType type, string repoId, string revision = "main", Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        ArgumentNullException.ThrowIfNull(revision);
        var cached = Cache.TrySnapshot(type, repoId, revision);
        if (Settings.Offline)
            return cached ?? throw new HubException($"{Describe(type, repoId, revision)}: not in the cache ({Settings.CacheDir}) and HF_HUB_OFFLINE is set.");
        HubRevision info;
        try { info = GetRevision(type, repoId, revision); }
        catch (HttpRequestException e) when (cached is not null)
        {
            _progress?.WriteLine($"{Describe(type, repoId, revision)}: the Hub is unreachable ({e.Message}); using the cached snapshot {cached}");
            return cached;
        }
        catch (HttpRequestException e)
        {
            throw new HubException($"{Describe(type, repoId, revision)}: not a local path, not in the cache ({Settings.CacheDir}), and the Hub at {Settings.Endpoint} is unreachable: {e.Message}", e);
        }
        foreach (var file in info.Files.Where(f => include?.Invoke(f) ?? true)) DownloadFile(type, repoId, info.Sha, file);
        Cache.WriteRef(type, repoId, revision, info.Sha);
        var dir = Path.Combine(Cache.RepoFolder(type, repoId), "snapshots", info.Sha);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The commit a revision resolves to and the files it holds (<c>GET /api/{models|datasets}/{id}/revision/{rev}</c>).</summary>
    public HubRevision GetRevision(HubRepoType type, string repoId, string revision = "main")
    {
        var url = $"{Settings.Endpoint}/api/{(type == HubRepoType.Model ? "models" : "datasets")}/{repoId}/revision/{Uri.EscapeDataString(revision)}";
        using var response = Send(HttpMethod.Get, url, null);
        Check(response, type, repoId, revision, null);
        var json = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())
            ?? throw new HubException($"{Describe(type, repoId, revision)}: empty revision info from {url}.");
        var sha = json["sha"]?.GetValue<string>() ?? throw new HubException($"{Describe(type, repoId, revision)}: the revision info from {url} has no sha.");
        var files = (json["siblings"] as JsonArray ?? []).Select(s => s?["rfilename"]?.GetValue<string>()).OfType<string>().ToList();
        return new HubRevision(sha, files);
    }

    /// <summary>One repository file in the cache (downloaded when missing) — the snapshot path, a link to its blob.</summary>
    public string DownloadFile(HubRepoType type, string repoId, string revision, string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var folder = Cache.RepoFolder(type, repoId);
        if (HubCache.IsCommitSha(revision))
        {
            var pointer = Path.Combine(folder, "snapshots", revision, file.Replace('/', Path.DirectorySeparatorChar));
            if (File.Exists(pointer)) return pointer;
        }
        if (Settings.Offline)
        {
            var snapshot = Cache.TrySnapshot(type, repoId, revision);
            var path = snapshot is null ? null : Path.Combine(snapshot, file);
            return path is not null && File.Exists(path) ? path
                : throw new HubException($"{Describe(type, repoId, revision)}: {file} is not in the cache and HF_HUB_OFFLINE is set.");
        }
        var url = $"{Settings.Endpoint}/{(type == HubRepoType.Dataset ? "datasets/" : "")}{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}";
        var (commit, etag, size, downloadUrl) = Metadata(type, repoId, revision, file, url);
        var blob = Path.Combine(folder, "blobs", etag);
        if (!File.Exists(blob))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
            Download(downloadUrl, blob, size, $"{repoId}/{file}");
        }
        Cache.WriteRef(type, repoId, revision, commit);
        return Cache.LinkSnapshotFile(type, repoId, commit, file, blob);
    }

    (string Commit, string Etag, long Size, string DownloadUrl) Metadata(HubRepoType type, string repoId, string revision, string file, string url)
    {
        for (int hops = 0; ; hops++)
        {
            using var head = Send(HttpMethod.Head, url, null, identity: true);
            bool redirect = (int)head.StatusCode is >= 300 and < 400;
            var location = head.Headers.Location;
            // Relative redirects (a renamed repository) are followed; an absolute one is the download location (a CDN).
            if (redirect && location is not null && !location.IsAbsoluteUri && hops < 5)
            {
                url = new Uri(new Uri(url), location).ToString();
                continue;
            }
            if (!redirect) Check(head, type, repoId, revision, file);
            var commit = Header(head, "X-Repo-Commit") ?? throw new HubException($"{Describe(type, repoId, revision)}: {file}: the Hub sent no X-Repo-Commit.");
            var etag = Header(head, "X-Linked-Etag") ?? head.Headers.ETag?.Tag ?? Header(head, "ETag")
                ?? throw new HubException($"{Describe(type, repoId, revision)}: {file}: the Hub sent no ETag.");
            etag = etag.TrimStart('W', '/').Trim('"');
            long size = long.TryParse(Header(head, "X-Linked-Size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var linked) ? linked
                : !redirect && head.Content.Headers.ContentLength is { } length ? length : -1;
            return (commit, etag, size, redirect && location is not null ? location.ToString() : url);
        }
    }

    void Download(string url, string blob, long size, string label)
    {
        var incomplete = blob + ".incomplete";
        int failures = 0;
        while (true)
        {
            long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (size >= 0 && have == size) break;
            try
            {
                var headers = have > 0 ? new RangeHeaderValue(have, null) : null;
                using var response = Send(HttpMethod.Get, url, headers);
                if (!response.IsSuccessStatusCode) throw new HubException($"{label}: download failed: HTTP {(int)response.StatusCode} from {url}.");
                // A server that ignores Range sends the whole file again.
                var mode = have > 0 && response.StatusCode == HttpStatusCode.PartialContent ? FileMode.Append : FileMode.Create;
                if (mode == FileMode.Create) have = 0;
                long total = size >= 0 ? size : (response.Content.Headers.ContentLength ?? -1) + have;
                using (var source = response.Content.ReadAsStream())
                using (var target = new FileStream(incomplete, mode, FileAccess.Write))
                {
                    var buffer = new byte[1 << 20];
                    var lastReport = DateTime.MinValue;
                    int read;
                    while ((read = source.Read(buffer)) > 0)
                    {
                        target.Write(buffer, 0, read);
                        have += read;
                        failures = 0;
                        if (_progress is not null && (DateTime.UtcNow - lastReport).TotalSeconds >= 1)
                        {
                            _progress.WriteLine($"downloading {label}: {Megabytes(have)} / {(total > 0 ? Megabytes(total) : "?")} MB");
                            lastReport = DateTime.UtcNow;
                        }
                    }
                }
                if (size < 0 || have == size) break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && ++failures <= MaxRetries)
            {
                _progress?.WriteLine($"downloading {label}: interrupted ({e.Message}); resuming at {Megabytes(File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0)} MB");
                Thread.Sleep(200 * failures);
            }
        }
        long final = new FileInfo(incomplete).Length;
        if (size >= 0 && final != size) throw new HubException($"{label}: downloaded {final} bytes, expected {size}.");
        File.Move(incomplete, blob, overwrite: true);
        _progress?.WriteLine($"downloaded {label} ({Megabytes(final)} MB)");
    }

    HttpResponseMessage Send(HttpMethod method, string url, RangeHeaderValue? range, bool identity = false, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        // The token goes to the Hub only, never to a CDN another host serves.
        if (Settings.Token is { } token && new Uri(url).Host == new Uri(Settings.Endpoint).Host)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (range is not null) request.Headers.Range = range;
        if (identity) request.Headers.AcceptEncoding.ParseAdd("identity");
        return _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
    }

    void Check(HttpResponseMessage response, HubRepoType type, string repoId, string revision, string? file)
    {
        if (response.IsSuccessStatusCode) return;
        var code = Header(response, "X-Error-Code");
        var what = Describe(type, repoId, revision) + (file is null ? "" : $": {file}");
        throw new HubException((int)response.StatusCode switch
        {
            401 or 403 when code is not ("RepoNotFound" or "EntryNotFound") => $"{what}: access denied (HTTP {(int)response.StatusCode}); a private or gated repository needs HF_TOKEN (or a token in HF_TOKEN_PATH).",
            _ when code == "GatedRepo" => $"{what}: gated repository; accept its conditions on the Hub and set HF_TOKEN.",
            404 when code == "EntryNotFound" => $"{what}: no such file in the repository.",
            404 when code == "RevisionNotFound" => $"{what}: no such revision.",
            401 or 404 => $"{what}: repository not found at {Settings.Endpoint} (or private: set HF_TOKEN).",
            _ => $"{what}: HTTP {(int)response.StatusCode} from {Settings.Endpoint}.",
        });
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var content) ? content.FirstOrDefault() : null;

    static string Describe(HubRepoType type, string repoId, string revision) =>
        $"{(type == HubRepoType.Dataset ? "dataset " : "")}{repoId}{(revision == "main" ? "" : "@" + revision)}";

    static string Megabytes(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
