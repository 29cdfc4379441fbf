using System.Globalization;
using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>A missing value (jinja2's default, lenient Undefined): prints as nothing, is false, iterates as empty, but
/// any attribute, item, arithmetic or call on it is an error naming what was missing.</summary>
internal sealed class Undefined(string hint)
{
    /// <summary>What was looked up (for error messages).</summary>
    public string Hint { get; } = hint;

    public ChatTemplateException Error() => new($"{Hint} is undefined");
}

/// <summary>A mutable attribute bag created by <c>namespace()</c>; the one thing a sandboxed template may assign into.</summary>
internal sealed class Namespace : Dictionary<string, object?>
{
    public Namespace() : base(StringComparer.Ordinal) { }
}

/// <summary>A template dictionary: insertion-ordered, keys compared as Python compares them (1 == 1.0 == True), as
/// Python's dict of a JSON object or a dict literal.</summary>
internal sealed class JinjaDict : OrderedDictionary<object, object?>
{
    public JinjaDict() : base(PyKeyComparer.Instance) { }

    sealed class PyKeyComparer : IEqualityComparer<object>
    {
        public static readonly PyKeyComparer Instance = new();

        public new bool Equals(object? x, object? y) => PyValues.Equal(x, y);

        public int GetHashCode(object obj) => obj switch
        {
            string s => s.GetHashCode(StringComparison.Ordinal),
            long or double or bool => PyValues.ToDouble(obj).GetHashCode(),
            IList<object?> l => l.Aggregate(17, (h, x) => h * 31 + (x is null ? 0 : GetHashCode(x))),
            _ => obj.GetHashCode(),
        };
    }
}

/// <summary>A callable value: a macro, a bound method, or a global function.</summary>
internal delegate object? JinjaCallable(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

/// <summary>The <c>loop</c> variable of a for block.</summary>
internal sealed class LoopInfo(IReadOnlyList<object?> items, int depth)
{
    public int Index0 { get; set; }
    public IReadOnlyList<object?> Items { get; } = items;
    public int Depth { get; } = depth;

    public object? Attribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(Items.Count - Index0),
        "revindex0" => (long)(Items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Items.Count - 1,
        "length" => (long)Items.Count,
        "depth" => (long)Depth,
        "depth0" => (long)Depth - 1,
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < Items.Count ? Items[Index0 + 1] : new Undefined("loop.nextitem"),
        "cycle" => (JinjaCallable)((args, _) => args.Count == 0 ? throw new ChatTemplateException("loop.cycle() needs at least one value") : args[Index0 % args.Count]),
        _ => new Undefined($"loop.{name}"),
    };
}

/// <summary>Python's value semantics as jinja2 shows them: truthiness, str() and repr(), equality, ordering.</summary>
internal static class PyValues
{
    public static bool Truthy(object? v) => v switch
    {
        null => false,
        Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>Python's str(), what <c>{{ x }}</c> prints.</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    /// <summary>Python's repr().</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case string s: return StringRepr(s);
            case JinjaTuple tuple:
                return "(" + string.Join(", ", tuple.Select(Repr)) + (tuple.Count == 1 ? ",)" : ")");
            case IList<object?> list:
                return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case Namespace ns:
                return "<Namespace " + string.Join(", ", ns.Select(kv => kv.Key + "=" + Repr(kv.Value))) + ">";
            case JinjaDict d:
                return "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case JinjaCallable: return "<function>";
            case Undefined: return "Undefined";
            default: return Str(v);
        }
    }

    static string StringRepr(string s)
    {
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (ch == quote) sb.Append('\\').Append(ch);
                    else if (ch < 0x20 || ch == 0x7f) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)ch:x2}");
                    else sb.Append(ch);
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's repr of a float: the shortest round-trip digits, scientific below 1e-4 or from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        // Split the shortest representation into digits and a decimal exponent.
        bool negative = r.StartsWith('-');
        if (negative) r = r[1..];
        int exp = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0) { exp = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture); r = r[..e]; }
        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string digits = dot >= 0 ? r.Remove(dot, 1) : r;
        int pointPos = (dot >= 0 ? dot : r.Length) + exp;   // position of the decimal point within digits
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointPos--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int sciExp = pointPos - 1;
        string body;
        if (sciExp < -4 || sciExp >= 16)
        {
            string mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            body = mantissa + "e" + (sciExp < 0 ? "-" : "+") + Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (pointPos <= 0) body = "0." + new string('0', -pointPos) + digits;
        else if (pointPos >= digits.Length) body = digits + new string('0', pointPos - digits.Length) + ".0";
        else body = digits[..pointPos] + "." + digits[pointPos..];
        return negative ? "-" + body : body;
    }

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new ChatTemplateException($"expected a number, got {TypeName(v)}"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        string => "str",
        bool => "bool",
        long => "int",
        double => "float",
        JinjaTuple => "tuple",
        IList<object?> => "list",
        Namespace => "Namespace",
        JinjaDict => "dict",
        JinjaCallable => "function",
        _ => v.GetType().Name,
    };

    public static bool Equal(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b);
        if (a is string sa && b is string sb) return string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is IList<object?> la && b is IList<object?> lb) return la.Count == lb.Count && la.Zip(lb).All(p => Equal(p.First, p.Second));
        if (a is JinjaDict da && b is JinjaDict db)
            return da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out var o) && Equal(kv.Value, o));
        return ReferenceEquals(a, b);
    }

    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        if (a is IList<object?> la && b is IList<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                int c = Compare(la[i], lb[i]);
                if (c != 0) return c;
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new ChatTemplateException($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>The items a for loop (or a filter) walks: list items, dict keys, string characters.</summary>
    public static IReadOnlyList<object?> Iterate(object? v) => v switch
    {
        Undefined => Array.Empty<object?>(),
        IList<object?> list => list.ToList(),
        JinjaDict d => d.Keys.ToList<object?>(),
        Namespace ns => ns.Keys.Cast<object?>().ToList(),
        string s => StringElements(s),
        null => throw new ChatTemplateException("'NoneType' object is not iterable"),
        _ => throw new ChatTemplateException($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>A string's characters as Python sees them (code points: a surrogate pair is one element).</summary>
    public static List<object?> StringElements(string s)
    {
        var result = new List<object?>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { result.Add(s.Substring(i, 2)); i++; }
            else result.Add(s[i].ToString());
        }
        return result;
    }

    public static long Length(object? v) => v switch
    {
        Undefined => 0,
        string s => StringElements(s).Count,
        System.Collections.ICollection c => c.Count,
        _ => throw new ChatTemplateException($"object of type '{TypeName(v)}' has no len()"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        Undefined => false,
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new ChatTemplateException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        IList<object?> list => list.Any(x => Equal(x, item)),
        JinjaDict d => item is not null and not Undefined && d.ContainsKey(item),
        Namespace ns => item is string k2 && ns.ContainsKey(k2),
        null => throw new ChatTemplateException("argument of type 'NoneType' is not iterable"),
        _ => throw new ChatTemplateException($"argument of type '{TypeName(container)}' is not iterable"),
    };
}
