using System.Globalization;
using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>jinja2's filters and tests, with transformers' tojson.</summary>
internal static partial class JinjaBuiltins
{
    static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, object? fallback) =>
        index < args.Count ? args[index] : kwargs.TryGetValue(name, out var v) ? v : fallback;

    public static object? Filter(JinjaRenderer renderer, string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        switch (name)
        {
            case "default" or "d":
                {
                    var fallback = Arg(args, kwargs, 0, "default_value", "");
                    bool boolean = PyValues.Truthy(Arg(args, kwargs, 1, "boolean", false));
                    return value is Undefined || (boolean && !PyValues.Truthy(value)) ? fallback : value;
                }
            case "length" or "count": return PyValues.Length(value);
            case "string": return PyValues.Str(value);
            case "safe": return value;
            case "trim":
                {
                    var s = PyValues.Str(value);
                    return Arg(args, kwargs, 0, "chars", null) is string chars ? s.Trim(chars.ToCharArray()) : PyMethods.Strip(s, null, true, true);
                }
            case "upper": return PyValues.Str(value).ToUpperInvariant();
            case "lower": return PyValues.Str(value).ToLowerInvariant();
            case "capitalize": return PyMethods.Capitalize(PyValues.Str(value));
            case "title": return PyMethods.Title(PyValues.Str(value));
            case "replace":
                {
                    var s = PyValues.Str(value);
                    var count = Arg(args, kwargs, 2, "count", null);
                    return PyMethods.Replace(s, PyValues.Str(Arg(args, kwargs, 0, "old", "")), PyValues.Str(Arg(args, kwargs, 1, "new", "")), count is null ? -1 : Int(count));
                }
            case "tojson":
                {
                    int? indent = Arg(args, kwargs, 0, "indent", null) is { } i ? (int)Int(i) : null;
                    bool ensureAscii = PyValues.Truthy(kwargs.TryGetValue("ensure_ascii", out var ea) ? ea : false);
                    bool sortKeys = PyValues.Truthy(kwargs.TryGetValue("sort_keys", out var sk) ? sk : false);
                    (string Item, string Key)? separators = kwargs.TryGetValue("separators", out var sep) && sep is IList<object?> pair && pair.Count == 2
                        ? (PyValues.Str(pair[0]), PyValues.Str(pair[1])) : null;
                    return JinjaJson.Dumps(value, indent, separators, ensureAscii, sortKeys);
                }
            case "join":
                {
                    var items = PyValues.Iterate(value);
                    var attribute = Arg(args, kwargs, 1, "attribute", null);
                    if (attribute is not null) items = items.Select(x => GetAttributePath(x, attribute)).ToList();
                    return string.Join(PyValues.Str(Arg(args, kwargs, 0, "d", "")), items.Select(PyValues.Str));
                }
            case "first": { var items = PyValues.Iterate(value); return items.Count > 0 ? items[0] : new Undefined("the first item of an empty sequence"); }
            case "last": { var items = PyValues.Iterate(value); return items.Count > 0 ? items[^1] : new Undefined("the last item of an empty sequence"); }
            case "list": return PyValues.Iterate(value).ToList();
            case "reverse": return value is string rs ? string.Concat(PyValues.StringElements(rs).Cast<string>().Reverse()) : PyValues.Iterate(value).Reverse().ToList();
            case "unique":
                {
                    var attribute = Arg(args, kwargs, 1, "attribute", null);
                    bool caseSensitive = PyValues.Truthy(Arg(args, kwargs, 0, "case_sensitive", false));
                    var seen = new List<object?>();
                    var result = new List<object?>();
                    foreach (var item in PyValues.Iterate(value))
                    {
                        var k = attribute is null ? item : GetAttributePath(item, attribute);
                        if (!caseSensitive && k is string ks) k = ks.ToLowerInvariant();
                        if (seen.Any(x => PyValues.Equal(x, k))) continue;
                        seen.Add(k);
                        result.Add(item);
                    }
                    return result;
                }
            case "sort":
                {
                    bool reverse = PyValues.Truthy(Arg(args, kwargs, 0, "reverse", false));
                    bool caseSensitive = PyValues.Truthy(Arg(args, kwargs, 1, "case_sensitive", false));
                    var attribute = Arg(args, kwargs, 2, "attribute", null);
                    object? Key(object? x) { var k = attribute is null ? x : GetAttributePath(x, attribute); return !caseSensitive && k is string s ? s.ToLowerInvariant() : k; }
                    var sorted = PyValues.Iterate(value).OrderBy(Key, Comparer<object?>.Create(PyValues.Compare)).ToList();
                    if (reverse) sorted.Reverse();
                    return sorted;
                }
            case "dictsort":
                {
                    if (value is not JinjaDict d) throw new ChatTemplateException("dictsort expects a dict");
                    bool caseSensitive = PyValues.Truthy(Arg(args, kwargs, 0, "case_sensitive", false));
                    bool byValue = PyValues.Str(Arg(args, kwargs, 1, "by", "key")) == "value";
                    bool reverse = PyValues.Truthy(Arg(args, kwargs, 2, "reverse", false));
                    object? Key(KeyValuePair<object, object?> kv) { object? k = byValue ? kv.Value : kv.Key; return !caseSensitive && k is string s ? s.ToLowerInvariant() : k; }
                    var items = d.OrderBy(Key, Comparer<object?>.Create(PyValues.Compare)).Select(kv => (object?)new JinjaTuple(new object?[] { kv.Key, kv.Value })).ToList();
                    if (reverse) items.Reverse();
                    return items;
                }
            case "items":
                return value switch
                {
                    JinjaDict d => d.Select(kv => (object?)new JinjaTuple(new object?[] { kv.Key, kv.Value })).ToList(),
                    Undefined => new List<object?>(),
                    _ => throw new ChatTemplateException($"items expects a mapping, got {PyValues.TypeName(value)}"),
                };
            case "map":
                {
                    // jinja2's map/select family walk nothing for a false value (None, empty).
                    var items = PyValues.Truthy(value) ? PyValues.Iterate(value) : Array.Empty<object?>();
                    if (kwargs.TryGetValue("attribute", out var attribute))
                    {
                        var fallback = kwargs.TryGetValue("default", out var dv) ? dv : null;
                        return items.Select(x => GetAttributePath(x, attribute) is Undefined && kwargs.ContainsKey("default") ? fallback : GetAttributePath(x, attribute)).ToList();
                    }
                    if (args.Count == 0) throw new ChatTemplateException("map needs a filter name or attribute=");
                    var filter = PyValues.Str(args[0]);
                    return items.Select(x => Filter(renderer, filter, x, args.Skip(1).ToList(), JinjaRenderer.EmptyKwargs)).ToList();
                }
            case "select" or "reject":
                {
                    bool keep = name == "select";
                    if (!PyValues.Truthy(value)) return new List<object?>();
                    return PyValues.Iterate(value).Where(x => (args.Count == 0 ? PyValues.Truthy(x) : Test(renderer, PyValues.Str(args[0]), x, args.Skip(1).ToList())) == keep).ToList();
                }
            case "selectattr" or "rejectattr":
                {
                    bool keep = name == "selectattr";
                    if (args.Count == 0) throw new ChatTemplateException($"{name} needs an attribute name");
                    if (!PyValues.Truthy(value)) return new List<object?>();
                    return PyValues.Iterate(value).Where(x =>
                    {
                        var attr = GetAttributePath(x, args[0]);
                        bool r = args.Count == 1 ? PyValues.Truthy(attr) : Test(renderer, PyValues.Str(args[1]), attr, args.Skip(2).ToList());
                        return r == keep;
                    }).ToList();
                }
            case "indent":
                {
                    var s = PyValues.Str(value);
                    var width = Arg(args, kwargs, 0, "width", 4L);
                    bool first = PyValues.Truthy(Arg(args, kwargs, 1, "first", false));
                    bool blank = PyValues.Truthy(Arg(args, kwargs, 2, "blank", false));
                    string pad = width is string ws ? ws : new string(' ', (int)Int(width));
                    var lines = s.Split('\n');
                    var sb = new StringBuilder();
                    for (int i = 0; i < lines.Length; i++)
                    {
                        if (i > 0) sb.Append('\n');
                        bool indentIt = (i > 0 || first) && (blank || lines[i].Length > 0);
                        if (indentIt) sb.Append(pad);
                        sb.Append(lines[i]);
                    }
                    return sb.ToString();
                }
            case "int":
                {
                    var fallback = Arg(args, kwargs, 0, "default", 0L);
                    return value switch
                    {
                        long l => l,
                        bool b => b ? 1L : 0L,
                        double d => (long)Math.Truncate(d),
                        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
                        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) => (long)Math.Truncate(f),
                        _ => fallback,
                    };
                }
            case "float":
                {
                    var fallback = Arg(args, kwargs, 0, "default", 0.0);
                    return value switch
                    {
                        double d => d,
                        long l => (double)l,
                        bool b => b ? 1.0 : 0.0,
                        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) => f,
                        _ => fallback,
                    };
                }
            case "abs": return value is long l2 ? (object)Math.Abs(l2) : Math.Abs(PyValues.ToDouble(value));
            case "round":
                {
                    int precision = (int)Int(Arg(args, kwargs, 0, "precision", 0L));
                    var method = PyValues.Str(Arg(args, kwargs, 1, "method", "common"));
                    double v = PyValues.ToDouble(value), f = Math.Pow(10, precision);
                    return method switch
                    {
                        "ceil" => Math.Ceiling(v * f) / f,
                        "floor" => Math.Floor(v * f) / f,
                        _ => Math.Round(v * f, MidpointRounding.AwayFromZero) / f,
                    };
                }
            case "sum":
                {
                    var attribute = Arg(args, kwargs, 0, "attribute", null);
                    object? total = Arg(args, kwargs, 1, "start", 0L);
                    foreach (var x in PyValues.Iterate(value)) total = Binary("+", total, attribute is null ? x : GetAttributePath(x, attribute));
                    return total;
                }
            case "max" or "min":
                {
                    var items = PyValues.Iterate(value);
                    if (items.Count == 0) return new Undefined($"the {name} of an empty sequence");
                    var attribute = Arg(args, kwargs, 1, "attribute", null);
                    object? Key(object? x) => attribute is null ? x : GetAttributePath(x, attribute);
                    return items.Aggregate((a, b) => (PyValues.Compare(Key(a), Key(b)) >= 0) == (name == "max") ? a : b);
                }
            case "wordcount": return (long)PyValues.Str(value).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            case "center":
                {
                    var s = PyValues.Str(value);
                    int width = (int)Int(Arg(args, kwargs, 0, "width", 80L));
                    if (s.Length >= width) return s;
                    int left = (width - s.Length) / 2;
                    return new string(' ', left) + s + new string(' ', width - s.Length - left);
                }
            case "e" or "escape" or "forceescape":
                return PyValues.Str(value).Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
                    .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
            case "format":
                return Binary("%", PyValues.Str(value), args.Count == 1 ? args[0] : new JinjaTuple(args));
            case "batch":
                {
                    int size = (int)Int(Arg(args, kwargs, 0, "linecount", 1L));
                    if (size < 1) throw new ChatTemplateException("batch size must be positive");
                    return PyValues.Iterate(value).Chunk(size).Select(c => (object?)c.ToList()).ToList();
                }
            case "striptags":
                return System.Text.RegularExpressions.Regex.Replace(PyValues.Str(value), "<[^>]*>", "");
            case "truncate":
                {
                    var s = PyValues.Str(value);
                    int length = (int)Int(Arg(args, kwargs, 0, "length", 255L));
                    var end = PyValues.Str(Arg(args, kwargs, 2, "end", "..."));
                    return s.Length <= length ? s : s[..Math.Max(0, length - end.Length)] + end;
                }
            default:
                throw new ChatTemplateException($"no filter named '{name}'");
        }
    }

    /// <summary>An attribute, or a dotted path of attributes (<c>map(attribute='function.name')</c>).</summary>
    static object? GetAttributePath(object? item, object? attribute)
    {
        if (attribute is long index) return GetItem(item, index);
        var v = item;
        foreach (var part in PyValues.Str(attribute).Split('.'))
        {
            if (v is Undefined) return v;
            v = long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? GetItem(v, i) : GetItem(v, part);
        }
        return v;
    }

    public static bool Test(JinjaRenderer renderer, string name, object? value, IReadOnlyList<object?> args)
    {
        object? A(int i) => i < args.Count ? args[i] : throw new ChatTemplateException($"test '{name}' needs an argument");
        switch (name)
        {
            case "defined": return value is not Undefined;
            case "undefined": return value is Undefined;
            case "none": return value is null;
            case "boolean": return value is bool;
            case "true": return value is true;
            case "false": return value is false;
            case "integer": return value is long;
            case "float": return value is double;
            case "number": return value is long or double or bool;
            case "string": return value is string;
            case "mapping": return value is JinjaDict;
            case "iterable": return value is string or IList<object?> or JinjaDict or Namespace or Undefined;
            case "sequence": return value is string or IList<object?> or JinjaDict or Undefined;
            case "callable": return value is JinjaCallable;
            case "sameas": return ReferenceEquals(value, A(0)) || (value is null && A(0) is null) || (value is bool b && A(0) is bool c && b == c);
            case "eq" or "equalto" or "==": return PyValues.Equal(value, A(0));
            case "ne" or "!=": return !PyValues.Equal(value, A(0));
            case "lt" or "lessthan" or "<": return PyValues.Compare(value, A(0)) < 0;
            case "le" or "<=": return PyValues.Compare(value, A(0)) <= 0;
            case "gt" or "greaterthan" or ">": return PyValues.Compare(value, A(0)) > 0;
            case "ge" or ">=": return PyValues.Compare(value, A(0)) >= 0;
            case "in": return PyValues.Contains(A(0), value);
            case "odd": return Int(value) % 2 != 0;
            case "even": return Int(value) % 2 == 0;
            case "divisibleby": return Int(value) % Int(A(0)) == 0;
            case "lower": return value is string ls && ls == ls.ToLowerInvariant();
            case "upper": return value is string us && us == us.ToUpperInvariant();
            case "escaped": return false;
            case "filter": return value is string fname && IsFilter(fname);
            case "test": return value is string tname && TestNames.Contains(tname);
            default: throw new ChatTemplateException($"no test named '{name}'");
        }
    }

    static readonly HashSet<string> TestNames = new(StringComparer.Ordinal)
    {
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping", "iterable",
        "sequence", "callable", "sameas", "eq", "equalto", "ne", "lt", "lessthan", "le", "gt", "greaterthan", "ge", "in", "odd",
        "even", "divisibleby", "lower", "upper", "escaped", "filter", "test",
    };

    static bool IsFilter(string name) => name is "default" or "d" or "length" or "count" or "string" or "safe" or "trim" or "upper" or "lower"
        or "capitalize" or "title" or "replace" or "tojson" or "join" or "first" or "last" or "list" or "reverse" or "unique" or "sort"
        or "dictsort" or "items" or "map" or "select" or "reject" or "selectattr" or "rejectattr" or "indent" or "int" or "float"
        or "abs" or "round" or "sum" or "max" or "min" or "wordcount" or "center" or "e" or "escape" or "forceescape" or "format"
        or "batch" or "striptags" or "truncate";
}
