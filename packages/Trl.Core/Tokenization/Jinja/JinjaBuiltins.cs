using System.Globalization;
using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>What templates can call: jinja2's filters and tests, the globals transformers adds (raise_exception,
/// strftime_now) and jinja2's (namespace, range, dict), attribute and item access as the sandbox resolves them, and
/// Python's operators.</summary>
internal static partial class JinjaBuiltins
{
    /// <summary>The clock strftime_now reads (tests pin it).</summary>
    public static Func<DateTime> Now { get; set; } = () => DateTime.Now;

    public static readonly IReadOnlyDictionary<string, object?> Globals = new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["raise_exception"] = (JinjaCallable)((args, _) => throw new ChatTemplateException(args.Count > 0 ? PyValues.Str(args[0]) : "raise_exception called") { Data = { ["raised"] = true } }),
        ["strftime_now"] = (JinjaCallable)((args, _) => Strftime(Now(), args.Count > 0 ? PyValues.Str(args[0]) : "%Y-%m-%d")),
        ["namespace"] = (JinjaCallable)((args, kwargs) =>
        {
            var ns = new Namespace();
            foreach (var a in args)
                if (a is JinjaDict d) foreach (var (k, v) in d) ns[PyValues.Str(k)] = v;
            foreach (var (k, v) in kwargs) ns[k] = v;
            return ns;
        }),
        ["range"] = (JinjaCallable)((args, _) => Range(args)),
        ["dict"] = (JinjaCallable)((args, kwargs) =>
        {
            var d = new JinjaDict();
            if (args.Count > 0 && args[0] is JinjaDict src) foreach (var (k, v) in src) d[k] = v;
            foreach (var (k, v) in kwargs) d[k] = v;
            return d;
        }),
    };

    static List<object?> Range(IReadOnlyList<object?> args)
    {
        long start = 0, stop, step = 1;
        if (args.Count == 1) stop = Int(args[0]);
        else if (args.Count >= 2) { start = Int(args[0]); stop = Int(args[1]); if (args.Count > 2) step = Int(args[2]); }
        else throw new ChatTemplateException("range expected at least 1 argument");
        if (step == 0) throw new ChatTemplateException("range() arg 3 must not be zero");
        long count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > 1_000_000) throw new ChatTemplateException($"range of {count} items is too large");
        var list = new List<object?>((int)count);
        for (long v = start; step > 0 ? v < stop : v > stop; v += step) list.Add(v);
        return list;
    }

    static long Int(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d when d == Math.Floor(d) => (long)d,
        _ => throw new ChatTemplateException($"'{PyValues.TypeName(v)}' object cannot be interpreted as an integer"),
    };

    /// <summary><c>obj.name</c>: an attribute first (e.g. a dict's <c>items</c> method), then an item, else Undefined.</summary>
    public static object? GetAttribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined u: throw new ChatTemplateException($"{u.Hint} is undefined (reading its attribute '{name}')");
            case LoopInfo loop: return loop.Attribute(name);
            case JinjaRenderer.RecursiveLoop rl: return rl.Info.Attribute(name);
            case Namespace ns: return ns.TryGetValue(name, out var nv) ? nv : new Undefined($"namespace attribute '{name}'");
            case JinjaDict d:
                if (PyMethods.Bind(d, name) is { } dm) return dm;
                return d.TryGetValue(name, out var v) ? v : new Undefined($"'dict object' has no attribute '{name}'");
            case string s: return (object?)PyMethods.Bind(s, name) ?? new Undefined($"'str object' has no attribute '{name}'");
            case IList<object?> list: return (object?)PyMethods.Bind(list, name) ?? new Undefined($"'list object' has no attribute '{name}'");
            default: return new Undefined($"'{PyValues.TypeName(target)} object' has no attribute '{name}'");
        }
    }

    /// <summary><c>obj[key]</c>: an item first, then an attribute for string keys, else Undefined.</summary>
    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u: throw new ChatTemplateException($"{u.Hint} is undefined (reading its item {PyValues.Repr(key)})");
            case JinjaDict d:
                if (key is not null and not Undefined && d.TryGetValue(key, out var v)) return v;
                return key is string name && PyMethods.Bind(d, name) is { } m ? m : new Undefined($"'dict object' has no attribute {PyValues.Repr(key)}");
            case Namespace ns: return key is string nk && ns.TryGetValue(nk, out var nv) ? nv : new Undefined($"namespace attribute {PyValues.Repr(key)}");
            case IList<object?> list when key is long or bool:
                {
                    long i = Int(key);
                    if (i < 0) i += list.Count;
                    return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"list index {PyValues.Repr(key)}");
                }
            case string s when key is long or bool:
                {
                    var chars = PyValues.StringElements(s);
                    long i = Int(key);
                    if (i < 0) i += chars.Count;
                    return i >= 0 && i < chars.Count ? chars[(int)i] : new Undefined($"string index {PyValues.Repr(key)}");
                }
            case LoopInfo or JinjaRenderer.RecursiveLoop or string or IList<object?> when key is string attr: return GetAttribute(target, attr);
            default: return new Undefined($"'{PyValues.TypeName(target)} object' has no item {PyValues.Repr(key)}");
        }
    }

    /// <summary>Python slicing of lists and strings.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        long st = step is null ? 1 : Int(step);
        if (st == 0) throw new ChatTemplateException("slice step cannot be zero");
        IReadOnlyList<object?> items = target switch
        {
            string s => PyValues.StringElements(s),
            IList<object?> l => l.ToList(),
            Undefined u => throw u.Error(),
            _ => throw new ChatTemplateException($"'{PyValues.TypeName(target)}' object is not subscriptable"),
        };
        long n = items.Count;
        long Clamp(object? v, long dflt, bool isStart)
        {
            if (v is null) return dflt;
            long i = Int(v);
            if (i < 0) i += n;
            return st > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }
        long a = Clamp(start, st > 0 ? 0 : n - 1, true), b = Clamp(stop, st > 0 ? n : -1, false);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) result.Add(items[(int)i]);
        return target is string ? string.Concat(result.Cast<string>()) : target is JinjaTuple ? new JinjaTuple(result) : result;
    }

    /// <summary>Python's binary operators (and jinja2's <c>~</c>).</summary>
    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~") return PyValues.Str(a) + PyValues.Str(b);
        if (a is Undefined ua) throw ua.Error();
        if (b is Undefined ub) throw ub.Error();
        switch (op)
        {
            case "+":
                if (a is string sa && b is string sb) return sa + sb;
                if (a is IList<object?> la && b is IList<object?> lb) return la.Concat(lb).ToList();
                break;
            case "*":
                if (a is string rs && b is long rn) return string.Concat(Enumerable.Repeat(rs, (int)Math.Max(0, Math.Min(rn, 1_000_000))));
                if (a is IList<object?> rl && b is long rc) return Enumerable.Range(0, (int)Math.Max(0, Math.Min(rc, 100_000))).SelectMany(_ => rl).ToList();
                break;
            case "%":
                if (a is string format) return PercentFormat(format, b);
                break;
        }
        if (!PyValues.IsNumber(a) || !PyValues.IsNumber(b))
            throw new ChatTemplateException($"unsupported operand type(s) for {op}: '{PyValues.TypeName(a)}' and '{PyValues.TypeName(b)}'");
        bool ints = a is long or bool && b is long or bool;
        if (ints)
        {
            long x = Int(a), y = Int(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": if (y == 0) throw new ChatTemplateException("division by zero"); return (double)x / y;
                case "//": if (y == 0) throw new ChatTemplateException("integer division or modulo by zero"); return (long)Math.Floor((double)x / y);
                case "%": if (y == 0) throw new ChatTemplateException("integer division or modulo by zero"); return ((x % y) + y) % y;
                case "**": return y >= 0 ? (object)(long)Math.Pow(x, y) : Math.Pow(x, y);
            }
        }
        double p = PyValues.ToDouble(a), q = PyValues.ToDouble(b);
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw new ChatTemplateException("float division by zero") : p / q,
            "//" => q == 0 ? throw new ChatTemplateException("float divmod()") : Math.Floor(p / q),
            "%" => q == 0 ? throw new ChatTemplateException("float modulo") : p - q * Math.Floor(p / q),
            "**" => Math.Pow(p, q),
            _ => throw new ChatTemplateException($"unknown operator {op}"),
        };
    }

    /// <summary>printf-style <c>'%s' % value</c> (%s, %d, %i, %f, %r, %%).</summary>
    static string PercentFormat(string format, object? args)
    {
        var values = args is JinjaTuple t ? t.ToList() : new List<object?> { args };
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char c = format[++i];
            if (c == '%') { sb.Append('%'); continue; }
            if (next >= values.Count) throw new ChatTemplateException("not enough arguments for format string");
            var v = values[next++];
            sb.Append(c switch
            {
                's' => PyValues.Str(v),
                'r' => PyValues.Repr(v),
                'd' or 'i' => Int(v is double d ? Math.Truncate(d) : v).ToString(CultureInfo.InvariantCulture),
                'f' => PyValues.ToDouble(v).ToString("F6", CultureInfo.InvariantCulture),
                _ => throw new ChatTemplateException($"unsupported format character '{c}'"),
            });
        }
        return sb.ToString();
    }

    /// <summary>Python's datetime.strftime for the directives templates use.</summary>
    static string Strftime(DateTime t, string format)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char c = format[++i];
            bool noPad = false;
            if (c == '-' && i + 1 < format.Length) { noPad = true; c = format[++i]; }
            string Pad(int v, int width) => noPad ? v.ToString(ci) : v.ToString(new string('0', width), ci);
            sb.Append(c switch
            {
                'd' => Pad(t.Day, 2),
                'm' => Pad(t.Month, 2),
                'Y' => t.Year.ToString(ci),
                'y' => Pad(t.Year % 100, 2),
                'H' => Pad(t.Hour, 2),
                'I' => Pad(t.Hour % 12 == 0 ? 12 : t.Hour % 12, 2),
                'M' => Pad(t.Minute, 2),
                'S' => Pad(t.Second, 2),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'b' => t.ToString("MMM", ci),
                'B' => t.ToString("MMMM", ci),
                'a' => t.ToString("ddd", ci),
                'A' => t.ToString("dddd", ci),
                'j' => Pad(t.DayOfYear, 3),
                'e' => t.Day.ToString(ci).PadLeft(2),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }
}
