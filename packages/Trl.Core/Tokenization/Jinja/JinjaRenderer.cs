using System.Text;

namespace Trl.Tokenization.Jinja;

/// <summary>Limits that bound what a template may cost: a hostile template is an error in bounded time and memory.</summary>
internal sealed record JinjaLimits(long MaxSteps = 2_000_000, long MaxOutputChars = 64L << 20, int MaxCallDepth = 200, int MaxNesting = 256);

/// <summary>Renders a parsed template with jinja2's semantics under transformers' ImmutableSandboxedEnvironment:
/// lexical scopes (a for loop's body does not leak assignments; namespaces do), macros, loop controls, and the
/// <c>{% generation %}</c> spans of transformers' AssistantTracker.</summary>
internal sealed class JinjaRenderer
{
    readonly JinjaLimits _limits;
    readonly List<Dictionary<string, object?>> _scopes = new();
    readonly StringBuilder _root = new();
    readonly Stack<StringBuilder> _outputs = new();
    readonly List<(int Start, int End)> _generation = new();
    long _steps, _written;
    int _callDepth;

    public JinjaRenderer(IReadOnlyDictionary<string, object?> globals, JinjaLimits limits)
    {
        _limits = limits;
        var g = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in JinjaBuiltins.Globals) g[k] = v;
        foreach (var (k, v) in globals) g[k] = v;
        _scopes.Add(g);
        _outputs.Push(_root);
    }

    public (string Text, IReadOnlyList<(int Start, int End)> Generation) Render(IReadOnlyList<Node> nodes)
    {
        try { Execute(nodes); }
        catch (LoopSignal) { throw new ChatTemplateException("'break' or 'continue' outside a loop"); }
        return (_root.ToString(), _generation);
    }

    sealed class LoopSignal(bool isBreak) : Exception
    {
        public bool IsBreak { get; } = isBreak;
    }

    void Step()
    {
        if (++_steps > _limits.MaxSteps) throw new ChatTemplateException($"the template ran more than {_limits.MaxSteps} steps (a runaway loop?)");
    }

    void Write(string s)
    {
        _written += s.Length;
        if (_written > _limits.MaxOutputChars) throw new ChatTemplateException($"the template wrote more than {_limits.MaxOutputChars} characters");
        _outputs.Peek().Append(s);
    }

    string Capture(IReadOnlyList<Node> body)
    {
        _outputs.Push(new StringBuilder());
        try { Execute(body); return _outputs.Peek().ToString(); }
        finally { _outputs.Pop(); }
    }

    void Execute(IReadOnlyList<Node> nodes)
    {
        foreach (var node in nodes)
        {
            Step();
            switch (node)
            {
                case TextNode t: Write(t.Text); break;
                case OutputNode o: Write(PyValues.Str(Eval(o.Value))); break;
                case IfNode i:
                    {
                        var branch = i.Branches.FirstOrDefault(b => PyValues.Truthy(Eval(b.Test)));
                        if (branch.Body is not null) Execute(branch.Body);
                        else if (i.Else is not null) Execute(i.Else);
                        break;
                    }
                case ForNode f: ExecuteFor(f, Eval(f.Iterable), depth: 1); break;
                case SetNode s: ExecuteSet(s); break;
                case SetBlockNode sb:
                    {
                        object? value = Capture(sb.Body);
                        foreach (var (name, args) in sb.Filters) value = JinjaBuiltins.Filter(this, name, value, args.Select(Eval).ToList(), EmptyKwargs);
                        Assign(sb.Target, value);
                        break;
                    }
                case MacroNode m: Assign(m.Name, MakeMacro(m.Name, m.Parameters, m.Body)); break;
                case CallBlockNode c: ExecuteCallBlock(c); break;
                case FilterBlockNode fb:
                    {
                        object? value = Capture(fb.Body);
                        foreach (var (name, args, kwargs) in fb.Filters)
                            value = JinjaBuiltins.Filter(this, name, value, args.Select(Eval).ToList(), kwargs.ToDictionary(k => k.Name, k => Eval(k.Value)));
                        Write(PyValues.Str(value));
                        break;
                    }
                case GenerationNode g:
                    {
                        bool atRoot = ReferenceEquals(_outputs.Peek(), _root);
                        var text = Capture(g.Body);
                        int start = _root.Length;
                        Write(text);
                        if (atRoot) _generation.Add((start, start + text.Length));
                        break;
                    }
                case BreakNode: throw new LoopSignal(isBreak: true);
                case ContinueNode: throw new LoopSignal(isBreak: false);
                case DoNode d: Eval(d.Value); break;
                default: throw new ChatTemplateException($"cannot execute {node.GetType().Name}");
            }
        }
    }

    void ExecuteFor(ForNode f, object? iterable, int depth)
    {
        var all = PyValues.Iterate(iterable);
        // A filtered loop sees only the kept items (loop.length, loop.last count those).
        List<object?> items;
        if (f.Filter is null) items = all.ToList();
        else
        {
            items = new List<object?>();
            foreach (var item in all)
            {
                PushScope();
                try { BindTargets(f.Targets, item); if (PyValues.Truthy(Eval(f.Filter))) items.Add(item); }
                finally { PopScope(); }
            }
        }
        if (items.Count == 0)
        {
            if (f.Else is not null) Execute(f.Else);
            return;
        }
        var loop = new LoopInfo(items, depth);
        for (int i = 0; i < items.Count; i++)
        {
            Step();
            loop.Index0 = i;
            PushScope();
            try
            {
                BindTargets(f.Targets, items[i]);
                Current["loop"] = f.Recursive ? new RecursiveLoop(loop, this, f, depth) : loop;
                Execute(f.Body);
            }
            catch (LoopSignal signal)
            {
                if (signal.IsBreak) break;
            }
            finally { PopScope(); }
        }
    }

    /// <summary>The loop variable of a recursive loop: attributes as usual, and callable to walk children.</summary>
    internal sealed class RecursiveLoop(LoopInfo info, JinjaRenderer renderer, ForNode node, int depth)
    {
        public LoopInfo Info { get; } = info;

        public object? Call(object? iterable)
        {
            var text = new StringBuilder();
            renderer._outputs.Push(text);
            try { renderer.ExecuteFor(node, iterable, depth + 1); }
            finally { renderer._outputs.Pop(); }
            return text.ToString();
        }
    }

    void BindTargets(IReadOnlyList<string> targets, object? item)
    {
        if (targets.Count == 1) { Current[targets[0]] = item; return; }
        var values = PyValues.Iterate(item);
        if (values.Count != targets.Count) throw new ChatTemplateException($"cannot unpack {values.Count} values into {targets.Count} names");
        for (int k = 0; k < targets.Count; k++) Current[targets[k]] = values[k];
    }

    void ExecuteSet(SetNode s)
    {
        var value = Eval(s.Value);
        if (s.Attribute is not null)
        {
            if (Lookup(s.Targets[0]) is not Namespace ns) throw new ChatTemplateException($"cannot assign attribute on non-namespace object '{s.Targets[0]}'");
            ns[s.Attribute] = value;
            return;
        }
        if (s.Targets.Count == 1) { Assign(s.Targets[0], value); return; }
        var values = PyValues.Iterate(value);
        if (values.Count != s.Targets.Count) throw new ChatTemplateException($"cannot unpack {values.Count} values into {s.Targets.Count} names");
        for (int k = 0; k < s.Targets.Count; k++) Assign(s.Targets[k], values[k]);
    }

    void ExecuteCallBlock(CallBlockNode c)
    {
        if (c.Call is not CallExpr call) throw new ChatTemplateException("a call block needs a macro call");
        var caller = MakeMacro("caller", c.CallerParameters, c.Body);
        var target = Eval(call.Target);
        var args = call.Args.Select(Eval).ToList();
        var kwargs = call.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value));
        kwargs["caller"] = caller;
        Write(PyValues.Str(Invoke(target, args, kwargs)));
    }

    JinjaCallable MakeMacro(string name, IReadOnlyList<(string Name, Expr? Default)> parameters, IReadOnlyList<Node> body)
    {
        var closure = _scopes.ToList();
        return (args, kwargs) =>
        {
            if (++_callDepth > _limits.MaxCallDepth) throw new ChatTemplateException($"macro '{name}' recursed deeper than {_limits.MaxCallDepth} calls");
            var saved = _scopes.ToList();
            _scopes.Clear();
            _scopes.AddRange(closure);
            PushScope();
            try
            {
                for (int k = 0; k < parameters.Count; k++)
                {
                    var (p, d) = parameters[k];
                    Current[p] = k < args.Count ? args[k] : kwargs.TryGetValue(p, out var kv) ? kv : d is not null ? Eval(d) : new Undefined($"'{p}'");
                }
                Current["varargs"] = args.Skip(parameters.Count).ToList();
                var extra = new JinjaDict();
                foreach (var (k, v) in kwargs) if (k != "caller" && parameters.All(p => p.Name != k)) extra[k] = v;
                Current["kwargs"] = extra;
                if (kwargs.TryGetValue("caller", out var callerFn)) Current["caller"] = callerFn;
                return Capture(body);
            }
            finally
            {
                _scopes.Clear();
                _scopes.AddRange(saved);
                _callDepth--;
            }
        };
    }

    Dictionary<string, object?> Current => _scopes[^1];

    void PushScope() => _scopes.Add(new Dictionary<string, object?>(StringComparer.Ordinal));

    void PopScope() => _scopes.RemoveAt(_scopes.Count - 1);

    void Assign(string name, object? value) => Current[name] = value;

    object? Lookup(string name)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
            if (_scopes[i].TryGetValue(name, out var v)) return v;
        return new Undefined($"'{name}'");
    }

    internal static readonly IReadOnlyDictionary<string, object?> EmptyKwargs = new Dictionary<string, object?>();

    internal object? Eval(Expr e)
    {
        Step();
        switch (e)
        {
            case Literal l: return l.Value;
            case NameExpr n: return Lookup(n.Name);
            case ListExpr l:
                {
                    var items = l.Items.Select(Eval).ToList();
                    return l.IsTuple ? new JinjaTuple(items) : items;
                }
            case DictExpr d:
                {
                    var dict = new JinjaDict();
                    foreach (var (k, v) in d.Items) dict[Eval(k) ?? throw new ChatTemplateException("None cannot be a dict key here")] = Eval(v);
                    return dict;
                }
            case AttributeExpr a: return JinjaBuiltins.GetAttribute(Eval(a.Target), a.Name);
            case ItemExpr i: return JinjaBuiltins.GetItem(Eval(i.Target), Eval(i.Key));
            case SliceExpr s: return JinjaBuiltins.Slice(Eval(s.Target), s.Start is null ? null : Eval(s.Start), s.Stop is null ? null : Eval(s.Stop), s.Step is null ? null : Eval(s.Step));
            case CallExpr c:
                {
                    var target = Eval(c.Target);
                    var (args, kwargs) = Arguments(c.Args, c.Kwargs);
                    return Invoke(target, args, kwargs);
                }
            case FilterExpr f:
                return JinjaBuiltins.Filter(this, f.Name, Eval(f.Target), f.Args.Select(Eval).ToList(), f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value)));
            case TestExpr t:
                {
                    bool r = JinjaBuiltins.Test(this, t.Name, Eval(t.Target), t.Args.Select(Eval).ToList());
                    return t.Negated ? !r : r;
                }
            case UnaryExpr u:
                {
                    var v = Eval(u.Operand);
                    return u.Op switch
                    {
                        "not" => !PyValues.Truthy(v),
                        "-" => v switch { long x => (object)(-x), double x => -x, bool b => b ? -1L : 0L, _ => throw TypeError("bad operand type for unary -", v) },
                        _ => PyValues.IsNumber(v) ? v : throw TypeError("bad operand type for unary +", v),
                    };
                }
            case BinaryExpr b:
                {
                    if (b.Op == "and") { var l = Eval(b.Left); return PyValues.Truthy(l) ? Eval(b.Right) : l; }
                    if (b.Op == "or") { var l = Eval(b.Left); return PyValues.Truthy(l) ? l : Eval(b.Right); }
                    return JinjaBuiltins.Binary(b.Op, Eval(b.Left), Eval(b.Right));
                }
            case CompareExpr c:
                {
                    var left = Eval(c.First);
                    foreach (var (op, rightExpr) in c.Rest)
                    {
                        var right = Eval(rightExpr);
                        bool ok = op switch
                        {
                            "==" => PyValues.Equal(left, right),
                            "!=" => !PyValues.Equal(left, right),
                            "<" => PyValues.Compare(Defined(left), Defined(right)) < 0,
                            ">" => PyValues.Compare(Defined(left), Defined(right)) > 0,
                            "<=" => PyValues.Compare(Defined(left), Defined(right)) <= 0,
                            ">=" => PyValues.Compare(Defined(left), Defined(right)) >= 0,
                            "in" => PyValues.Contains(right, left),
                            _ => !PyValues.Contains(right, left),
                        };
                        if (!ok) return false;
                        left = right;
                    }
                    return true;
                }
            case ConditionalExpr c:
                return PyValues.Truthy(Eval(c.Test)) ? Eval(c.Then) : c.Else is null ? new Undefined("the else branch of an inline if") : Eval(c.Else);
            default: throw new ChatTemplateException($"cannot evaluate {e.GetType().Name}");
        }
    }

    /// <summary>Evaluates call arguments, unpacking <c>*list</c> and <c>**dict</c>.</summary>
    (List<object?> Args, Dictionary<string, object?> Kwargs) Arguments(IReadOnlyList<Expr> args, IReadOnlyList<(string Name, Expr Value)> kwargs)
    {
        var values = new List<object?>();
        foreach (var a in args)
        {
            if (a is UnaryExpr { Op: "*" } star) values.AddRange(PyValues.Iterate(Eval(star.Operand)));
            else values.Add(Eval(a));
        }
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, expr) in kwargs)
        {
            if (name != "**") { named[name] = Eval(expr); continue; }
            if (Eval(expr) is not JinjaDict spread) throw new ChatTemplateException("** needs a mapping");
            foreach (var (k, v) in spread) named[PyValues.Str(k)] = v;
        }
        return (values, named);
    }

    static object? Defined(object? v) => v is Undefined u ? throw u.Error() : v;

    static ChatTemplateException TypeError(string what, object? v) => new($"{what}: '{PyValues.TypeName(v)}'");

    internal object? Invoke(object? target, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs) => target switch
    {
        JinjaCallable f => f(args, kwargs),
        RecursiveLoop loop => args.Count == 1 ? loop.Call(args[0]) : throw new ChatTemplateException("loop() takes one iterable"),
        Undefined u => throw u.Error(),
        _ => throw new ChatTemplateException($"'{PyValues.TypeName(target)}' object is not callable"),
    };
}

/// <summary>A Python tuple: a list that prints with parentheses.</summary>
internal sealed class JinjaTuple(IEnumerable<object?> items) : List<object?>(items);
