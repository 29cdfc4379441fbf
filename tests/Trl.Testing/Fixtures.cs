using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Trl.Testing;

/// <summary>Locates the golden fixtures copied into tests/fixtures (a fresh clone has no shared folder beside it).</summary>
public static partial class Fixtures
{
    static readonly Lazy<string> RootDir = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}.");
    });

    /// <summary>tests/fixtures.</summary>
    public static string Root => RootDir.Value;

    /// <summary>A path under tests/fixtures/trl.</summary>
    public static string Trl(params string[] parts) => Path.Combine([Root, "trl", .. parts]);

    /// <summary>A path under tests/fixtures/trl2.</summary>
    public static string Trl2(params string[] parts) => Path.Combine([Root, "trl2", .. parts]);

    /// <summary>A file of the embedded default the `trl` tool ships (packages/Trl.Cli/EmbeddedDefault): the tiny model
    /// config, its tokenizer and the string-reversal datasets.</summary>
    public static string EmbeddedDefault(string file) => Path.GetFullPath(Path.Combine(Root, "..", "..", "packages", "Trl.Cli", "EmbeddedDefault", file));

    /// <summary>Parses fixture JSON, accepting the bare NaN/Infinity tokens Python's json writes.</summary>
    public static JsonNode Json(string path)
    {
        var text = File.ReadAllText(path);
        text = BareNonFinite().Replace(text, m => m.Groups[1].Value + "\"" + m.Groups[2].Value + "\"");
        return JsonNode.Parse(text, documentOptions: new() { AllowTrailingCommas = true })!;
    }

    [GeneratedRegex(@"([\[,:\s])(NaN|-Infinity|Infinity)(?=[\s,\]\}])")]
    private static partial Regex BareNonFinite();
}
