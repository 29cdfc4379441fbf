using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trl.Tokenization.Jinja;

/// <summary>JSON in and out of templates: context JSON becomes Python-like values (objects keep their key order,
/// integers stay integers), and <c>tojson</c> is Python's json.dumps as transformers calls it (ensure_ascii=False,
/// separators ", " and ": " — "," with an indent —, no HTML escaping, keys in insertion order).</summary>
internal static class JinjaJson
{
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => ToDict(o),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => Number(v),
            JsonValueKind.Null => null,
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };

    static JinjaDict ToDict(JsonObject o)
    {
        var d = new JinjaDict();
        foreach (var (k, v) in o) d[k] = FromJson(v);
        return d;
    }

    static object Number(JsonValue v)
    {
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return (long)i;
        var raw = v.ToJsonString();
        if (!raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.OrdinalIgnoreCase) && long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        return v.TryGetValue<double>(out var d) ? d : double.Parse(raw, CultureInfo.InvariantCulture);
    }

    public static string Dumps(object? value, int? indent, (string Item, string Key)? separators, bool ensureAscii, bool sortKeys)
    {
        var sep = separators ?? (indent is null ? (", ", ": ") : (",", ": "));
        var sb = new StringBuilder();
        Write(sb, value, indent, sep, ensureAscii, sortKeys, 0, 0);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? v, int? indent, (string Item, string Key) sep, bool ascii, bool sort, int level, int depth)
    {
        if (depth > 512) throw new ChatTemplateException("tojson: the value nests too deeply");
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyValues.FloatRepr(d));
                break;
            case string s: WriteString(sb, s, ascii); break;
            case IList<object?> list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(sep.Item);
                    NewLine(sb, indent, level + 1);
                    Write(sb, list[i], indent, sep, ascii, sort, level + 1, depth + 1);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                break;
            case JinjaDict dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var entries = sort ? dict.OrderBy(kv => JsonKey(kv.Key), StringComparer.Ordinal).ToList() : dict.ToList();
                for (int i = 0; i < entries.Count; i++)
                {
                    if (i > 0) sb.Append(sep.Item);
                    NewLine(sb, indent, level + 1);
                    WriteString(sb, JsonKey(entries[i].Key), ascii);
                    sb.Append(sep.Key);
                    Write(sb, entries[i].Value, indent, sep, ascii, sort, level + 1, depth + 1);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                break;
            default:
                throw new ChatTemplateException($"Object of type {PyValues.TypeName(v)} is not JSON serializable");
        }
    }

    /// <summary>json.dumps's key conversion: strings as they are, numbers as JSON numbers, True/False/None as JSON literals.</summary>
    static string JsonKey(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        double d => PyValues.FloatRepr(d),
        _ => PyValues.Str(key),
    };

    static void NewLine(StringBuilder sb, int? indent, int level)
    {
        if (indent is not int n) return;
        sb.Append('\n').Append(' ', n * level);
    }

    static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7f)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
