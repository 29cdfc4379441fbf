namespace Trl.Hub;

/// <summary>Where the Hugging Face Hub and its local cache are, read from the environment exactly as huggingface_hub
/// reads it (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN / HF_TOKEN_PATH, HF_HUB_OFFLINE), so Python tools and
/// Trl.NET share one cache.</summary>
public sealed record HubSettings
{
    /// <summary>The Hub's base URL, without a trailing slash (HF_ENDPOINT; default https://huggingface.co).</summary>
    public string Endpoint { get; init; } = "https://huggingface.co";
    /// <summary>The hub cache folder holding <c>models--org--name</c> / <c>datasets--org--name</c> (HF_HUB_CACHE).</summary>
    public required string CacheDir { get; init; }
    /// <summary>The access token sent as a bearer token, or null (HF_TOKEN, else the file at HF_TOKEN_PATH).</summary>
    public string? Token { get; init; }
    /// <summary>Never touch the network: only what the cache holds resolves (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE).</summary>
    public bool Offline { get; init; }

    /// <summary>The settings of this process's environment.</summary>
    public static HubSettings FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>The settings a given environment lookup describes (tests pass their own).</summary>
    public static HubSettings FromVariables(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? Get(string name) => string.IsNullOrWhiteSpace(variable(name)) ? null : Expand(variable(name)!);
        var home = Get("HF_HOME")
            ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        var cache = Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(home, "hub");
        var token = Get("HF_TOKEN") ?? Get("HUGGING_FACE_HUB_TOKEN");
        if (token is null)
        {
            var tokenPath = Get("HF_TOKEN_PATH") ?? Path.Combine(home, "token");
            if (File.Exists(tokenPath)) token = File.ReadAllText(tokenPath).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim();
            if (token?.Length == 0) token = null;
        }
        return new HubSettings
        {
            Endpoint = (Get("HF_ENDPOINT") ?? "https://huggingface.co").TrimEnd('/'),
            CacheDir = cache,
            Token = token,
            Offline = IsTrue(variable("HF_HUB_OFFLINE")) || IsTrue(variable("TRANSFORMERS_OFFLINE")),
        };
    }

    static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    static string Expand(string path)
    {
        path = Environment.ExpandEnvironmentVariables(path.Trim());
        return path.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..] : path;
    }
}
