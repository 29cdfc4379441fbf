using System.Collections;
using System.Globalization;
using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>A parsed Jinja chat template. Supports what chat templates use: for (with loop.*, filters, else),
/// if/elif/else, set (also namespace attributes), {% generation %} blocks, expressions with + ~ and or not in is,
/// comparisons, indexing and slicing, ternaries, string/dict methods, common filters, raise_exception and
/// namespace(). Anything else is rejected with a <see cref="ChatTemplateException"/> when the template is parsed.</summary>
internal sealed class Template
{
    delegate object? Expr(Scope scope);
    abstract record Node;
    sealed record TextNode(string Text) : Node;
    sealed record OutputNode(Expr Value) : Node;
    sealed record IfNode(List<(Expr Condition, List<Node> Body)> Branches, List<Node>? Else) : Node;
    sealed record ForNode(string[] Names, Expr Iterable, Expr? Filter, List<Node> Body, List<Node>? Else) : Node;
    sealed record SetNode(string Name, string? Attribute, Expr Value) : Node;
    sealed record GenerationNode(List<Node> Body) : Node;

    readonly List<Node> _nodes;

    /// <summary>Parses a template.</summary>
    public Template(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var pieces = Lexer.Split(source);
        int i = 0;
        _nodes = ParseBlock(pieces, ref i, Array.Empty<string>(), out _);
        if (i < pieces.Count) throw new ChatTemplateException($"chat template: unexpected '{pieces[i].Content}' at position {pieces[i].Position}.");
    }

    /// <summary>Renders with the given variables; also returns the character spans of {% generation %} blocks.</summary>
    public (string Text, IReadOnlyList<(int Start, int End)> Generation) Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var sb = new StringBuilder();
        var spans = new List<(int, int)>();
        var scope = new Scope(null);
        foreach (var (k, v) in variables) scope.Vars[k] = v;
        Execute(_nodes, scope, sb, spans);
        return (sb.ToString(), spans);
    }

    // ---- statements ----

    static List<Node> ParseBlock(List<Lexer.Piece> pieces, ref int i, string[] terminators, out string? terminator)
    {
        var nodes = new List<Node>();
        terminator = null;
        while (i < pieces.Count)
        {
            var p = pieces[i];
            if (p.Kind == Lexer.Kind.Text) { nodes.Add(new TextNode(p.Content)); i++; continue; }
            if (p.Kind == Lexer.Kind.Output) { nodes.Add(new OutputNode(new ExpressionParser(p.Content, p.Position).ParseAll())); i++; continue; }
            string keyword = p.Content.Split(' ', 2)[0];
            if (terminators.Contains(keyword)) { terminator = keyword; return nodes; }
            i++;
            string rest = p.Content.Length > keyword.Length ? p.Content[keyword.Length..].Trim() : "";
            switch (keyword)
            {
                case "if":
                {
                    var branches = new List<(Expr, List<Node>)>();
                    var cond = new ExpressionParser(rest, p.Position).ParseAll();
                    List<Node>? elseBody = null;
                    while (true)
                    {
                        var body = ParseBlock(pieces, ref i, new[] { "elif", "else", "endif" }, out var t);
                        branches.Add((cond, body));
                        if (t is null) throw new ChatTemplateException($"chat template: 'if' at position {p.Position} is never closed.");
                        var tp = pieces[i++];
                        if (t == "elif") { cond = new ExpressionParser(tp.Content[4..].Trim(), tp.Position).ParseAll(); continue; }
                        if (t == "else") { elseBody = ParseBlock(pieces, ref i, new[] { "endif" }, out var t2); if (t2 is null) throw new ChatTemplateException($"chat template: 'if' at position {p.Position} is never closed."); i++; }
                        break;
                    }
                    nodes.Add(new IfNode(branches, elseBody));
                    break;
                }
                case "for":
                {
                    int inAt = rest.IndexOf(" in ", StringComparison.Ordinal);
                    if (inAt < 0) throw new ChatTemplateException($"chat template: malformed 'for' at position {p.Position}.");
                    var names = rest[..inAt].Split(',').Select(n => n.Trim()).ToArray();
                    var parser = new ExpressionParser(rest[(inAt + 4)..], p.Position);
                    var iterable = parser.ParseExpression(allowTernary: false);
                    Expr? filter = null;
                    if (parser.TryKeyword("if")) filter = parser.ParseExpression();
                    parser.ExpectEnd();
                    var body = ParseBlock(pieces, ref i, new[] { "else", "endfor" }, out var t);
                    if (t is null) throw new ChatTemplateException($"chat template: 'for' at position {p.Position} is never closed.");
                    List<Node>? elseBody = null;
                    i++;
                    if (t == "else") { elseBody = ParseBlock(pieces, ref i, new[] { "endfor" }, out _); i++; }
                    nodes.Add(new ForNode(names, iterable, filter, body, elseBody));
                    break;
                }
                case "set":
                {
                    int eq = rest.IndexOf('=', StringComparison.Ordinal);
                    if (eq < 0) throw new ChatTemplateException($"chat template: block 'set' at position {p.Position} is not supported.");
                    var target = rest[..eq].Trim().Split('.');
                    nodes.Add(new SetNode(target[0], target.Length > 1 ? target[1] : null, new ExpressionParser(rest[(eq + 1)..], p.Position).ParseAll()));
                    break;
                }
                case "generation":
                {
                    var body = ParseBlock(pieces, ref i, new[] { "endgeneration" }, out var t);
                    if (t is null) throw new ChatTemplateException($"chat template: 'generation' at position {p.Position} is never closed.");
                    i++;
                    nodes.Add(new GenerationNode(body));
                    break;
                }
                default:
                    throw new ChatTemplateException($"chat template: statement '{keyword}' at position {p.Position} is not supported.");
            }
        }
        return nodes;
    }

    void Execute(List<Node> nodes, Scope scope, StringBuilder sb, List<(int, int)> spans)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t: sb.Append(t.Text); break;
                case OutputNode o: sb.Append(Values.Render(o.Value(scope))); break;
                case IfNode f:
                {
                    var branch = f.Branches.FirstOrDefault(b => Values.Truthy(b.Condition(scope)));
                    var body = branch.Body ?? f.Else;
                    if (body is not null) Execute(body, scope, sb, spans);
                    break;
                }
                case ForNode f: ExecuteFor(f, scope, sb, spans); break;
                case SetNode s:
                    if (s.Attribute is null) scope.Set(s.Name, s.Value(scope));
                    else if (scope.Get(s.Name) is Namespace ns) ns[s.Attribute] = s.Value(scope);
                    else throw new ChatTemplateException($"chat template: cannot set '{s.Name}.{s.Attribute}': '{s.Name}' is not a namespace.");
                    break;
                case GenerationNode g:
                {
                    int start = sb.Length;
                    Execute(g.Body, scope, sb, spans);
                    spans.Add((start, sb.Length));
                    break;
                }
            }
        }
    }

    void ExecuteFor(ForNode f, Scope scope, StringBuilder sb, List<(int, int)> spans)
    {
        var source = f.Iterable(scope) switch
        {
            IDictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            IEnumerable e => e.Cast<object?>().ToList(),
            null or Undefined => new List<object?>(),
            var other => throw new ChatTemplateException($"chat template: cannot loop over '{Values.Render(other)}'."),
        };
        var items = new List<object?>();
        foreach (var item in source)
        {
            if (f.Filter is null) { items.Add(item); continue; }
            var probe = new Scope(scope);
            Bind(f.Names, item, probe);
            if (Values.Truthy(f.Filter(probe))) items.Add(item);
        }
        if (items.Count == 0 && f.Else is not null) { Execute(f.Else, new Scope(scope), sb, spans); return; }
        for (int i = 0; i < items.Count; i++)
        {
            var inner = new Scope(scope);
            Bind(f.Names, items[i], inner);
            inner.Vars["loop"] = new Dictionary<string, object?>
            {
                ["index0"] = (long)i, ["index"] = (long)(i + 1), ["first"] = i == 0, ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                ["previtem"] = i > 0 ? items[i - 1] : Undefined.Instance, ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Instance,
            };
            Execute(f.Body, inner, sb, spans);
        }
    }

    static void Bind(string[] names, object? item, Scope scope)
    {
        if (names.Length == 1) { scope.Vars[names[0]] = item; return; }
        var parts = item as IList ?? throw new ChatTemplateException("chat template: cannot unpack a loop item.");
        for (int k = 0; k < names.Length; k++) scope.Vars[names[k]] = k < parts.Count ? parts[k] : Undefined.Instance;
    }

    sealed class Scope(Scope? parent)
    {
        public Dictionary<string, object?> Vars { get; } = new(StringComparer.Ordinal);
        public object? Get(string name) => Vars.TryGetValue(name, out var v) ? v : parent is not null ? parent.Get(name) : Undefined.Instance;
        public void Set(string name, object? value) => Vars[name] = value;
    }

    // ---- expressions ----

    sealed class ExpressionParser(string source, int position)
    {
        readonly List<string> _t = Lexer.Tokens(source, position);
        int _i;

        string? Peek(int k = 0) => _i + k < _t.Count ? _t[_i + k] : null;
        string Next() => _i < _t.Count ? _t[_i++] : throw Error("unexpected end of expression");
        ChatTemplateException Error(string what) => new($"chat template: {what} in '{source}' at position {position}.");
        void Expect(string tok) { if (Next() != tok) throw Error($"expected '{tok}'"); }
        public bool TryKeyword(string kw) { if (Peek() == kw) { _i++; return true; } return false; }
        public void ExpectEnd() { if (_i < _t.Count) throw Error($"unexpected '{_t[_i]}'"); }

        public Expr ParseAll() { var e = ParseExpression(); ExpectEnd(); return e; }

        public Expr ParseExpression(bool allowTernary = true)
        {
            var value = Or();
            if (allowTernary && Peek() == "if")
            {
                _i++;
                var cond = Or();
                Expr otherwise = TryKeyword("else") ? ParseExpression() : _ => Undefined.Instance;
                var v = value;
                return s => Values.Truthy(cond(s)) ? v(s) : otherwise(s);
            }
            return value;
        }

        Expr Or() { var l = And(); while (TryKeyword("or")) { var a = l; var b = And(); l = s => Values.Truthy(a(s)) ? a(s) : b(s); } return l; }
        Expr And() { var l = Not(); while (TryKeyword("and")) { var a = l; var b = Not(); l = s => Values.Truthy(a(s)) ? b(s) : a(s); } return l; }
        Expr Not() { if (TryKeyword("not")) { var e = Not(); return s => !Values.Truthy(e(s)); } return Compare(); }

        Expr Compare()
        {
            var l = Concat();
            while (true)
            {
                var op = Peek();
                if (op is "==" or "!=" or "<" or ">" or "<=" or ">=")
                {
                    _i++;
                    var a = l; var b = Concat();
                    l = op switch
                    {
                        "==" => s => Values.Same(a(s), b(s)),
                        "!=" => s => !Values.Same(a(s), b(s)),
                        "<" => s => Values.Compare(a(s), b(s)) < 0,
                        ">" => s => Values.Compare(a(s), b(s)) > 0,
                        "<=" => s => Values.Compare(a(s), b(s)) <= 0,
                        _ => s => Values.Compare(a(s), b(s)) >= 0,
                    };
                }
                else if (op == "in" || (op == "not" && Peek(1) == "in"))
                {
                    bool negate = op == "not";
                    _i += negate ? 2 : 1;
                    var a = l; var b = Concat();
                    l = s => Contains(b(s), a(s)) != negate;
                }
                else if (op == "is")
                {
                    _i++;
                    bool negate = TryKeyword("not");
                    var test = Next();
                    Expr? arg = test is "equalto" or "sameas" ? Concat() : null;
                    var a = l;
                    l = s => Test(test, a(s), arg?.Invoke(s)) != negate;
                }
                else return l;
            }
        }

        Expr Concat() { var l = Additive(); while (Peek() == "~") { _i++; var a = l; var b = Additive(); l = s => Values.Render(a(s)) + Values.Render(b(s)); } return l; }

        Expr Additive()
        {
            var l = Multiplicative();
            while (Peek() is "+" or "-")
            {
                var op = Next(); var a = l; var b = Multiplicative();
                l = op == "+"
                    ? s => { var x = a(s); var y = b(s); return x is string || y is string ? Values.Render(x) + Values.Render(y) : x is IList lx && y is IList ly ? lx.Cast<object?>().Concat(ly.Cast<object?>()).ToList() : Values.Number(x) + Values.Number(y); }
                    : s => Values.Number(a(s)) - Values.Number(b(s));
            }
            return l;
        }

        Expr Multiplicative()
        {
            var l = Unary();
            while (Peek() is "*" or "/" or "%")
            {
                var op = Next(); var a = l; var b = Unary();
                l = op switch
                {
                    "*" => s => Values.Number(a(s)) * Values.Number(b(s)),
                    "/" => s => Values.Number(a(s)) / Values.Number(b(s)),
                    _ => s => Values.Number(a(s)) % Values.Number(b(s)),
                };
            }
            return l;
        }

        Expr Unary() { if (Peek() == "-") { _i++; var e = Unary(); return s => -Values.Number(e(s)); } return Postfix(Primary()); }

        Expr Postfix(Expr e)
        {
            while (true)
            {
                var p = Peek();
                if (p == ".")
                {
                    _i++;
                    var name = Next();
                    var target = e;
                    if (Peek() == "(") { var args = Args(); e = s => CallMethod(target(s), name, args.Positional.Select(a => a(s)).ToList()); }
                    else e = s => Member(target(s), name);
                }
                else if (p == "[")
                {
                    _i++;
                    Expr? start = Peek() == ":" ? null : ParseExpression();
                    if (Peek() == ":")
                    {
                        _i++;
                        Expr? stop = Peek() == "]" ? null : ParseExpression();
                        Expect("]");
                        var target = e;
                        e = s => Slice(target(s), start?.Invoke(s), stop?.Invoke(s));
                    }
                    else { Expect("]"); var target = e; var key = start!; e = s => Index(target(s), key(s)); }
                }
                else if (p == "|")
                {
                    _i++;
                    var filter = Next();
                    var args = Peek() == "(" ? Args() : new CallArgs(new(), new());
                    var target = e;
                    e = s => Filter(filter, target(s), args.Positional.Select(a => a(s)).ToList(), args.Named.ToDictionary(kv => kv.Key, kv => kv.Value(s)));
                }
                else return e;
            }
        }

        sealed record CallArgs(List<Expr> Positional, Dictionary<string, Expr> Named);

        CallArgs Args()
        {
            Expect("(");
            var positional = new List<Expr>();
            var named = new Dictionary<string, Expr>(StringComparer.Ordinal);
            while (Peek() != ")")
            {
                if (Peek(1) == "=" && Peek() is { } n && (char.IsLetter(n[0]) || n[0] == '_')) { _i += 2; named[n] = ParseExpression(); }
                else positional.Add(ParseExpression());
                if (Peek() == ",") _i++;
            }
            Expect(")");
            return new CallArgs(positional, named);
        }

        Expr Primary()
        {
            var t = Next();
            if (t[0] == '"') { var str = t[1..]; return _ => str; }
            if (char.IsDigit(t[0]))
            {
                if (t.Contains('.', StringComparison.Ordinal)) { var d = double.Parse(t, CultureInfo.InvariantCulture); return _ => d; }
                var l = long.Parse(t, CultureInfo.InvariantCulture); return _ => l;
            }
            switch (t)
            {
                case "true" or "True": return _ => true;
                case "false" or "False": return _ => false;
                case "none" or "None": return _ => null;
                case "(":
                {
                    var e = ParseExpression();
                    Expect(")");
                    return e;
                }
                case "[":
                {
                    var items = new List<Expr>();
                    while (Peek() != "]") { items.Add(ParseExpression()); if (Peek() == ",") _i++; }
                    Expect("]");
                    return s => items.Select(x => x(s)).ToList();
                }
                case "{":
                {
                    var entries = new List<(Expr, Expr)>();
                    while (Peek() != "}") { var k = ParseExpression(); Expect(":"); entries.Add((k, ParseExpression())); if (Peek() == ",") _i++; }
                    Expect("}");
                    return s => entries.ToDictionary(kv => Values.Render(kv.Item1(s)), kv => kv.Item2(s));
                }
            }
            if (!(char.IsLetter(t[0]) || t[0] == '_')) throw Error($"unexpected '{t}'");
            if (Peek() == "(")
            {
                var args = Args();
                return t switch
                {
                    "raise_exception" => s => throw new ChatTemplateException("chat template raised: " + Values.Render(args.Positional.FirstOrDefault()?.Invoke(s))),
                    "namespace" => s => { var ns = new Namespace(); foreach (var (k, v) in args.Named) ns[k] = v(s); return ns; },
                    "range" => s => { var a = args.Positional.Select(x => (long)Values.Number(x(s))).ToList(); long from = a.Count > 1 ? a[0] : 0, to = a.Count > 1 ? a[1] : a[0]; var r = new List<object?>(); for (long k = from; k < to; k++) r.Add(k); return r; },
                    _ => throw Error($"function '{t}' is not supported"),
                };
            }
            var name = t;
            return s => s.Get(name);
        }

        static bool Contains(object? container, object? item) => container switch
        {
            string s => s.Contains(Values.Render(item), StringComparison.Ordinal),
            IDictionary<string, object?> d => d.ContainsKey(Values.Render(item)),
            IEnumerable e => e.Cast<object?>().Any(x => Values.Same(x, item)),
            _ => false,
        };

        static bool Test(string test, object? v, object? arg) => test switch
        {
            "defined" => v is not Undefined,
            "undefined" => v is Undefined,
            "none" => v is null,
            "string" => v is string,
            "number" => Values.IsNumber(v),
            "integer" => v is long,
            "boolean" => v is bool,
            "mapping" => v is IDictionary<string, object?>,
            "sequence" or "iterable" => v is IList or string,
            "true" => v is true,
            "false" => v is false,
            "equalto" or "sameas" => Values.Same(v, arg),
            _ => throw new ChatTemplateException($"chat template: test 'is {test}' is not supported."),
        };

        static object? Member(object? target, string name) => target switch
        {
            IDictionary<string, object?> d => d.TryGetValue(name, out var v) ? v : Undefined.Instance,
            Undefined => throw new ChatTemplateException($"chat template: '{name}' of an undefined value."),
            _ => Undefined.Instance,
        };

        static object? Index(object? target, object? key) => target switch
        {
            IDictionary<string, object?> d => d.TryGetValue(Values.Render(key), out var v) ? v : Undefined.Instance,
            IList l => Values.Number(key) is var n && (n < 0 ? l.Count + (int)n : (int)n) is var k && k >= 0 && k < l.Count ? l[k] : Undefined.Instance,
            string s => Values.Number(key) is var n2 && (n2 < 0 ? s.Length + (int)n2 : (int)n2) is var k2 && k2 >= 0 && k2 < s.Length ? s[k2].ToString() : Undefined.Instance,
            _ => throw new ChatTemplateException($"chat template: cannot index '{Values.Render(target)}'."),
        };

        static object? Slice(object? target, object? start, object? stop)
        {
            int Len(object? t) => t is string s ? s.Length : ((IList)t!).Count;
            int n = Len(target);
            int Norm(object? v, int dflt) { if (v is null or Undefined) return dflt; int k = (int)Values.Number(v); if (k < 0) k += n; return Math.Clamp(k, 0, n); }
            int a = Norm(start, 0), b = Norm(stop, n);
            if (b < a) b = a;
            return target is string str ? str[a..b] : ((IList)target!).Cast<object?>().Skip(a).Take(b - a).ToList();
        }

        static object? CallMethod(object? target, string name, List<object?> args)
        {
            if (target is string s)
            {
                string Arg(int k) => Values.Render(args[k]);
                return name switch
                {
                    "strip" => args.Count > 0 ? s.Trim(Arg(0).ToCharArray()) : s.Trim(),
                    "lstrip" => args.Count > 0 ? s.TrimStart(Arg(0).ToCharArray()) : s.TrimStart(),
                    "rstrip" => args.Count > 0 ? s.TrimEnd(Arg(0).ToCharArray()) : s.TrimEnd(),
                    "startswith" => s.StartsWith(Arg(0), StringComparison.Ordinal),
                    "endswith" => s.EndsWith(Arg(0), StringComparison.Ordinal),
                    "upper" => s.ToUpperInvariant(),
                    "lower" => s.ToLowerInvariant(),
                    "replace" => s.Replace(Arg(0), Arg(1), StringComparison.Ordinal),
                    "split" => (args.Count > 0 ? s.Split(Arg(0)) : s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Cast<object?>().ToList(),
                    "title" => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s),
                    _ => throw new ChatTemplateException($"chat template: string method '{name}' is not supported."),
                };
            }
            if (target is IDictionary<string, object?> d)
            {
                return name switch
                {
                    "get" => d.TryGetValue(Values.Render(args[0]), out var v) ? v : args.Count > 1 ? args[1] : null,
                    "items" => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
                    "keys" => d.Keys.Cast<object?>().ToList(),
                    "values" => d.Values.ToList(),
                    _ => throw new ChatTemplateException($"chat template: mapping method '{name}' is not supported."),
                };
            }
            throw new ChatTemplateException($"chat template: method '{name}' on '{Values.Render(target)}' is not supported.");
        }

        static object? Filter(string name, object? v, List<object?> args, Dictionary<string, object?> named) => name switch
        {
            "trim" => Values.Render(v).Trim(),
            "length" or "count" => (long)(v is string s ? s.Length : v is ICollection c ? c.Count : 0),
            "tojson" => Values.ToJson(v),
            "string" => Values.Render(v),
            "upper" => Values.Render(v).ToUpperInvariant(),
            "lower" => Values.Render(v).ToLowerInvariant(),
            "capitalize" => Values.Render(v) is { Length: > 0 } c2 ? char.ToUpperInvariant(c2[0]) + c2[1..].ToLowerInvariant() : "",
            "int" => (long)Values.Number(v is string sv ? double.Parse(sv, CultureInfo.InvariantCulture) : v),
            "first" => v is IList l && l.Count > 0 ? l[0] : Undefined.Instance,
            "last" => v is IList l2 && l2.Count > 0 ? l2[^1] : Undefined.Instance,
            "list" => v is IEnumerable e ? e.Cast<object?>().ToList() : new List<object?>(),
            "reverse" => v is string rs ? new string(rs.Reverse().ToArray()) : ((IEnumerable)v!).Cast<object?>().Reverse().ToList(),
            "join" => string.Join(args.Count > 0 ? Values.Render(args[0]) : "", ((IEnumerable)v!).Cast<object?>().Select(Values.Render)),
            "default" or "d" => v is Undefined || (args.Count > 1 && Values.Truthy(args[1]) && !Values.Truthy(v)) ? (args.Count > 0 ? args[0] : "") : v,
            "items" => ((IDictionary<string, object?>)v!).Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
            _ => throw new ChatTemplateException($"chat template: filter '{name}' is not supported."),
        };
    }
}
