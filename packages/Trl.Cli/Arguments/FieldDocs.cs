using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Trl.Cli.Arguments;

/// <summary>One-line descriptions of config fields for --help, read from the XML documentation every Trl package ships
/// next to its assembly (the same text IntelliSense shows), so help never drifts from the code.</summary>
internal static partial class FieldDocs
{
    static readonly Dictionary<Assembly, Dictionary<string, string>> Cache = new();

    /// <summary>The first sentence of a property's summary, or "" when its assembly ships no documentation.</summary>
    public static string Of(PropertyInfo property)
    {
        ArgumentNullException.ThrowIfNull(property);
        var type = property.DeclaringType!;
        Dictionary<string, string> docs;
        lock (Cache)
            if (!Cache.TryGetValue(type.Assembly, out docs!)) Cache[type.Assembly] = docs = Load(type.Assembly);
        return docs.TryGetValue($"P:{type.FullName}.{property.Name}", out var text) ? text : "";
    }

    static Dictionary<string, string> Load(Assembly assembly)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = string.IsNullOrEmpty(assembly.Location) ? null : Path.ChangeExtension(assembly.Location, ".xml");
        if (path is null || !File.Exists(path)) return result;
        foreach (var member in XDocument.Load(path).Descendants("member"))
        {
            var name = member.Attribute("name")?.Value;
            var summary = member.Element("summary");
            if (name is null || summary is null) continue;
            var text = string.Concat(summary.Nodes().Select(Text));
            text = Spaces().Replace(text, " ").Trim();
            var end = FirstSentence().Match(text);
            result[name] = end.Success ? text[..(end.Index + 1)] : text;
        }
        return result;
    }

    static string Text(XNode node) => node switch
    {
        XText t => t.Value,
        XElement { Name.LocalName: "see" or "seealso" } e => (e.Attribute("cref")?.Value ?? e.Attribute("langword")?.Value ?? "").Split('.', ':')[^1],
        XElement { Name.LocalName: "paramref" or "typeparamref" } e => e.Attribute("name")?.Value ?? "",
        XElement e => string.Concat(e.Nodes().Select(Text)),
        _ => "",
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    // A period followed by a space and a capital letter or the end: "e.g." and "0.5" do not end a sentence.
    [GeneratedRegex(@"(?<!\be\.g|\bi\.e|\betc)\.(?=\s+[A-Z(]|$)")]
    private static partial Regex FirstSentence();
}
