using System.Globalization;
using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>The Python methods templates call on strings, dicts and lists. The sandbox is immutable: methods that
/// would change a list or dict are refused, as transformers' ImmutableSandboxedEnvironment does.</summary>
internal static class PyMethods
{
    static readonly HashSet<string> Mutating = new(StringComparer.Ordinal) { "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update", "setdefault", "popitem", "add", "discard" };

    static object? A(IReadOnlyList<object?> args, int i, object? fallback = null) => i < args.Count ? args[i] : fallback;

    public static JinjaCallable? Bind(JinjaDict d, string name) => name switch
    {
        "items" => (_, _) => d.Select(kv => (object?)new JinjaTuple(new object?[] { kv.Key, kv.Value })).ToList(),
        "keys" => (_, _) => d.Keys.ToList<object?>(),
        "values" => (_, _) => d.Values.ToList(),
        "get" => (args, kwargs) => A(args, 0) is { } k and not Undefined && d.TryGetValue(k, out var v) ? v : A(args, 1, kwargs.TryGetValue("default", out var dv) ? dv : null),
        "copy" => (_, _) => { var c = new JinjaDict(); foreach (var (k, v) in d) c[k] = v; return c; },
        _ when Mutating.Contains(name) => (_, _) => throw new ChatTemplateException($"access to attribute '{name}' of 'dict' object is unsafe."),
        _ => null,
    };

    public static JinjaCallable? Bind(IList<object?> list, string name) => name switch
    {
        "index" => (args, _) => { for (int i = 0; i < list.Count; i++) if (PyValues.Equal(list[i], A(args, 0))) return (long)i; throw new ChatTemplateException($"{PyValues.Repr(A(args, 0))} is not in list"); },
        "count" => (args, _) => (long)list.Count(x => PyValues.Equal(x, A(args, 0))),
        "copy" => (_, _) => list.ToList(),
        _ when Mutating.Contains(name) => (_, _) => throw new ChatTemplateException($"access to attribute '{name}' of '{PyValues.TypeName(list)}' object is unsafe."),
        _ => null,
    };

    public static JinjaCallable? Bind(string s, string name) => name switch
    {
        "strip" => (args, _) => Strip(s, A(args, 0) as string, true, true),
        "lstrip" => (args, _) => Strip(s, A(args, 0) as string, true, false),
        "rstrip" => (args, _) => Strip(s, A(args, 0) as string, false, true),
        "split" => (args, kwargs) => Split(s, A(args, 0, kwargs.GetValueOrDefault("sep")) as string, MaxSplit(A(args, 1, kwargs.GetValueOrDefault("maxsplit"))), fromRight: false),
        "rsplit" => (args, kwargs) => Split(s, A(args, 0, kwargs.GetValueOrDefault("sep")) as string, MaxSplit(A(args, 1, kwargs.GetValueOrDefault("maxsplit"))), fromRight: true),
        "splitlines" => (_, _) => s.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Take(s.EndsWith('\n') ? s.Split('\n').Length - 1 : int.MaxValue).Cast<object?>().ToList(),
        "startswith" => (args, _) => Affix(A(args, 0)).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (args, _) => Affix(A(args, 0)).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "replace" => (args, _) => Replace(s, PyValues.Str(A(args, 0, "")), PyValues.Str(A(args, 1, "")), A(args, 2) is long c ? c : -1),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" or "casefold" => (_, _) => s.ToLowerInvariant(),
        "title" => (_, _) => Title(s),
        "capitalize" => (_, _) => Capitalize(s),
        "swapcase" => (_, _) => string.Concat(s.Select(ch => char.IsUpper(ch) ? char.ToLowerInvariant(ch) : char.ToUpperInvariant(ch))),
        "find" => (args, _) => (long)s.IndexOf(PyValues.Str(A(args, 0, "")), StringComparison.Ordinal),
        "rfind" => (args, _) => (long)s.LastIndexOf(PyValues.Str(A(args, 0, "")), StringComparison.Ordinal),
        "index" => (args, _) => s.IndexOf(PyValues.Str(A(args, 0, "")), StringComparison.Ordinal) is int i and >= 0 ? (long)i : throw new ChatTemplateException("substring not found"),
        "count" => (args, _) => (long)CountOf(s, PyValues.Str(A(args, 0, ""))),
        "join" => (args, _) => string.Join(s, PyValues.Iterate(A(args, 0)).Select(PyValues.Str)),
        "format" => (args, kwargs) => Format(s, args, kwargs),
        "isdigit" or "isnumeric" or "isdecimal" => (_, _) => s.Length > 0 && s.All(char.IsDigit),
        "isalpha" => (_, _) => s.Length > 0 && s.All(char.IsLetter),
        "isalnum" => (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit),
        "isspace" => (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace),
        "isupper" => (_, _) => s.Any(char.IsLetter) && s.Where(char.IsLetter).All(char.IsUpper),
        "islower" => (_, _) => s.Any(char.IsLetter) && s.Where(char.IsLetter).All(char.IsLower),
        "zfill" => (args, _) => s.PadLeft((int)PyValues.ToDouble(A(args, 0, 0L)), '0'),
        "ljust" => (args, _) => s.PadRight((int)PyValues.ToDouble(A(args, 0, 0L)), (A(args, 1, " ") as string ?? " ")[0]),
        "rjust" => (args, _) => s.PadLeft((int)PyValues.ToDouble(A(args, 0, 0L)), (A(args, 1, " ") as string ?? " ")[0]),
        "removeprefix" => (args, _) => A(args, 0) is string p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s,
        "removesuffix" => (args, _) => A(args, 0) is string p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s,
        "partition" => (args, _) => Partition(s, PyValues.Str(A(args, 0, "")), fromRight: false),
        "rpartition" => (args, _) => Partition(s, PyValues.Str(A(args, 0, "")), fromRight: true),
        _ => null,
    };

    static IEnumerable<string> Affix(object? v) => v switch
    {
        string s => new[] { s },
        IList<object?> l => l.Select(PyValues.Str),
        _ => throw new ChatTemplateException("startswith/endswith take a string or a tuple of strings"),
    };

    static int MaxSplit(object? v) => v is null ? -1 : (int)PyValues.ToDouble(v);

    /// <summary>Python's whitespace (what str.strip() removes with no argument).</summary>
    static bool IsPyWhitespace(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? IsPyWhitespace : c => chars.Contains(c, StringComparison.Ordinal);
        int a = 0, b = s.Length;
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        return s[a..b];
    }

    static List<object?> Split(string s, string? sep, int maxsplit, bool fromRight)
    {
        var parts = new List<string>();
        if (sep is null)
        {
            // Whitespace runs separate words; leading/trailing whitespace gives no empty parts.
            var words = new List<string>();
            int i = 0;
            while (i < s.Length)
            {
                while (i < s.Length && IsPyWhitespace(s[i])) i++;
                if (i >= s.Length) break;
                int start = i;
                while (i < s.Length && !IsPyWhitespace(s[i])) i++;
                words.Add(s[start..i]);
            }
            if (maxsplit < 0 || words.Count <= maxsplit + 1) return words.Cast<object?>().ToList();
            if (!fromRight)
            {
                // The last part keeps the rest of the string verbatim (minus leading whitespace).
                var head = words.Take(maxsplit).ToList();
                int consumed = 0;
                foreach (var w in head) { consumed = s.IndexOf(w, consumed, StringComparison.Ordinal) + w.Length; }
                head.Add(Strip(s[consumed..], null, true, false));
                return head.Cast<object?>().ToList();
            }
            var tail = words.Skip(words.Count - maxsplit).ToList();
            int end = s.Length;
            for (int k = tail.Count - 1; k >= 0; k--) end = s.LastIndexOf(tail[k], end - 1, StringComparison.Ordinal);
            var result = new List<string> { Strip(s[..end], null, false, true) };
            result.AddRange(tail);
            return result.Cast<object?>().ToList();
        }
        if (sep.Length == 0) throw new ChatTemplateException("empty separator");
        var all = s.Split(sep);
        if (maxsplit < 0 || all.Length <= maxsplit + 1) return all.Cast<object?>().ToList();
        if (!fromRight)
        {
            parts.AddRange(all.Take(maxsplit));
            parts.Add(string.Join(sep, all.Skip(maxsplit)));
        }
        else
        {
            parts.Add(string.Join(sep, all.Take(all.Length - maxsplit)));
            parts.AddRange(all.Skip(all.Length - maxsplit));
        }
        return parts.Cast<object?>().ToList();
    }

    public static string Replace(string s, string old, string @new, long count)
    {
        if (count < 0) return old.Length == 0 ? string.Join(@new, PyValues.StringElements(s).Prepend("").Append("")).ToString() : s.Replace(old, @new, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int i = 0;
        for (long n = 0; n < count; n++)
        {
            int at = s.IndexOf(old, i, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, i, at - i).Append(@new);
            i = at + old.Length;
        }
        return sb.Append(s, i, s.Length - i).ToString();
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (var c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    static int CountOf(string s, string sub)
    {
        if (sub.Length == 0) return PyValues.StringElements(s).Count + 1;
        int n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    static JinjaTuple Partition(string s, string sep, bool fromRight)
    {
        int at = fromRight ? s.LastIndexOf(sep, StringComparison.Ordinal) : s.IndexOf(sep, StringComparison.Ordinal);
        if (at < 0) return fromRight ? new JinjaTuple(new object?[] { "", "", s }) : new JinjaTuple(new object?[] { s, "", "" });
        return new JinjaTuple(new object?[] { s[..at], sep, s[(at + sep.Length)..] });
    }

    /// <summary>str.format with {} / {0} / {name} fields (no format specs beyond the field).</summary>
    static string Format(string s, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = s.IndexOf('}', i);
            if (close < 0) throw new ChatTemplateException("single '{' encountered in format string");
            var field = s[(i + 1)..close].Split(':')[0];
            object? value = field.Length == 0 ? A(args, auto++)
                : int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? A(args, k)
                : kwargs.TryGetValue(field, out var kv) ? kv : throw new ChatTemplateException($"format field '{field}' is missing");
            sb.Append(PyValues.Str(value));
            i = close;
        }
        return sb.ToString();
    }
}
