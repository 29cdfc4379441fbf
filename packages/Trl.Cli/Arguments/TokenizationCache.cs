using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Trl.Cli.Arguments;

/// <summary>Tokenize a dataset once: prepared examples are stored under a key made from the content of the dataset and
/// tokenizer files and the settings that shape tokenization, so a rerun or a resumed run with the same inputs reads
/// them back instead of tokenizing again, and any change to an input produces a new key.</summary>
internal static class TokenizationCache
{
    /// <summary>A key (hex SHA-256) over the bytes of <paramref name="files"/> (a folder counts as all its files) and
    /// the JSON of <paramref name="settings"/>.</summary>
    public static string Key(IEnumerable<string> files, params object?[] settings)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(settings);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var all = files.SelectMany<string, string>(f => Directory.Exists(f) ? Directory.GetFiles(f, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : File.Exists(f) ? [f] : Array.Empty<string>());
        foreach (var file in all)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, read);
        }
        foreach (var s in settings) sha.AppendData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(s, s?.GetType() ?? typeof(object)) + "\0"));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>The examples cached as <paramref name="directory"/>/tokenized-{key}.json, or <paramref name="create"/>'s,
    /// written there (atomically) for the next run.</summary>
    public static T GetOrCreate<T>(string directory, string key, Func<T> create, ILogger? logger = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(create);
        logger ??= NullLogger.Instance;
        var path = Path.Combine(directory, $"tokenized-{key[..16]}.json");
        if (File.Exists(path))
        {
            try
            {
                var cached = JsonSerializer.Deserialize<T>(File.ReadAllText(path));
                if (cached is not null)
                {
                    logger.LogInformation("Read tokenized examples from {Path}.", path);
                    return cached;
                }
            }
            catch (JsonException e) { logger.LogWarning("Ignoring unreadable tokenization cache {Path}: {Reason}", path, e.Message); }
        }
        var examples = create();
        Directory.CreateDirectory(directory);
        var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(examples));
        File.Move(tmp, path, overwrite: true);
        return examples;
    }
}
