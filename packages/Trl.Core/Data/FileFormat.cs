using System.Text.Json;

namespace Trl.Data;

/// <summary>Reading a file whose content may be anything: every way a malformed or hostile JSON document surfaces
/// from System.Text.Json's node API (a list where an object belongs, a number where a string belongs, a missing
/// member, a duplicate key, an invalid UTF-16 escape, a number out of range) becomes an <see cref="InvalidDataException"/>
/// naming the file, so that no input reaches a user as a stack trace.</summary>
internal static class FileFormat
{
    /// <summary>Largest config-like JSON file read (config.json, tokenizer_config.json, adapter_config.json, indexes).</summary>
    public const long MaxConfigBytes = 64L * 1024 * 1024;
    /// <summary>Largest tokenizer.json read (real ones are up to ~35 MB).</summary>
    public const long MaxTokenizerBytes = 512L * 1024 * 1024;

    /// <summary>The text of a file no larger than <paramref name="maxBytes"/> (checked before reading it).</summary>
    public static string ReadAllText(string path, long maxBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: no such file.", path);
        if (info.Length > maxBytes) throw new InvalidDataException($"{path}: {info.Length} bytes is larger than the {maxBytes} bytes such a file may have.");
        return File.ReadAllText(path);
    }

    /// <summary>A JSON object file (size-capped, depth-capped), or a data error naming it.</summary>
    public static System.Text.Json.Nodes.JsonObject ReadJsonObject(string path, long maxBytes)
    {
        var text = ReadAllText(path, maxBytes);
        return Read(path, () => System.Text.Json.Nodes.JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 128 }) as System.Text.Json.Nodes.JsonObject
            ?? throw new InvalidDataException($"{path}: must hold a JSON object."));
    }

    /// <summary>Runs <paramref name="read"/>; a type confusion in <paramref name="path"/>'s content is a data error naming it.</summary>
    public static T Read<T>(string path, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try { return read(); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidCastException or OverflowException
                                     or KeyNotFoundException or NullReferenceException or IndexOutOfRangeException
                                  || (e is ArgumentException && e is not ArgumentNullException))
        {
            throw new InvalidDataException($"{path}: unexpected content ({e.Message})", e);
        }
    }

    /// <summary>Parses one JSON document and reads it through once, so that what System.Text.Json only reports on first
    /// access — a duplicate key, a string with an invalid UTF-16 escape — is found here: returns the node, or null and
    /// the problem.</summary>
    public static (System.Text.Json.Nodes.JsonNode? Node, string? Problem) ParseStrict(string text)
    {
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
            Walk(node, 0);
            return (node, null);
        }
        catch (JsonException e) { return (null, $"not valid JSON ({e.Message})"); }
        catch (ArgumentException e) { return (null, $"invalid JSON object ({e.Message})"); }
        catch (InvalidOperationException e) { return (null, $"invalid JSON text ({e.Message})"); }
    }

    static void Walk(System.Text.Json.Nodes.JsonNode? node, int depth)
    {
        switch (node)
        {
            case System.Text.Json.Nodes.JsonObject o:
                foreach (var (_, v) in o) Walk(v, depth + 1);
                break;
            case System.Text.Json.Nodes.JsonArray a:
                foreach (var v in a) Walk(v, depth + 1);
                break;
            case System.Text.Json.Nodes.JsonValue v when v.GetValueKind() == JsonValueKind.String:
                _ = v.GetValue<string>();
                break;
        }
    }
}
