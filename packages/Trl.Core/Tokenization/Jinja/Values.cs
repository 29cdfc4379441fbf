using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Trl.Tokenization.Jinja;

/// <summary>Jinja's undefined value: falsy, renders as nothing.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new();
}

/// <summary>A <c>namespace(...)</c> object whose attributes survive loop scopes.</summary>
internal sealed class Namespace : Dictionary<string, object?>
{
    public Namespace() : base(StringComparer.Ordinal) { }
}

/// <summary>Truthiness, rendering, comparison and JSON of template values (strings, numbers, bools, none,
/// lists, mappings).</summary>
internal static class Values
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        string s => s.Length > 0,
        double d => d != 0,
        long l => l != 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    public static string Render(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        string s => s,
        _ => ToJson(v),
    };

    public static bool Same(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b)) return Number(a) == Number(b);
        return object.Equals(a, b) || (a is string sa && b is string sb && sa == sb);
    }

    public static bool IsNumber(object? v) => v is double or long or int;

    public static double Number(object? v) => v switch
    {
        double d => d,
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        _ => throw new ChatTemplateException($"chat template: '{Render(v)}' is not a number."),
    };

    public static int Compare(object? a, object? b) =>
        IsNumber(a) && IsNumber(b) ? Number(a).CompareTo(Number(b))
        : a is string sa && b is string sb ? string.CompareOrdinal(sa, sb)
        : throw new ChatTemplateException("chat template: values cannot be ordered.");

    public static string ToJson(object? v) => JsonSerializer.Serialize(ToPlain(v), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
        .Replace(",", ", ", StringComparison.Ordinal).Replace("\":", "\": ", StringComparison.Ordinal);

    static object? ToPlain(object? v) => v switch
    {
        Undefined => null,
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        IList l => l.Cast<object?>().Select(ToPlain).ToList(),
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => (long)d,
        _ => v,
    };
}
