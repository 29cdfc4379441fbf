namespace Trl.Tokenization.Jinja;

/// <summary>Parses lexer segments into a node tree with jinja2's grammar and operator precedence (conditional, or,
/// and, not, comparisons, + −, ~, * / // %, **, unary, then postfix and filters/tests). Nesting is bounded so a
/// hostile template fails with an error instead of a stack overflow.</summary>
internal sealed class JinjaParser
{
    readonly List<Segment> _segments;
    readonly int _maxDepth;
    int _index;
    int _depth;

    JinjaParser(List<Segment> segments, int maxDepth)
    {
        _segments = segments;
        _maxDepth = maxDepth;
    }

    public static List<Node> Parse(string source, int maxDepth)
    {
        var parser = new JinjaParser(JinjaLexer.Split(source), maxDepth);
        var body = parser.ParseBody(out var end);
        if (end is not null) throw new ChatTemplateException($"unexpected '{end}' at position {parser._segments[parser._index - 1].Position}");
        return body;
    }

    /// <summary>Nodes until an end tag (returned in <paramref name="terminator"/>) or the end of the template.</summary>
    List<Node> ParseBody(out string? terminator, params string[] ends)
    {
        Enter(_index < _segments.Count ? _segments[_index].Position : 0);
        var nodes = new List<Node>();
        terminator = null;
        while (_index < _segments.Count)
        {
            var seg = _segments[_index++];
            switch (seg.Kind)
            {
                case SegmentKind.Text:
                    nodes.Add(new TextNode(seg.Text, seg.Position));
                    break;
                case SegmentKind.Output:
                    var stream = new TokenStream(seg.Tokens, this);
                    var value = stream.ParseExpression();
                    stream.ExpectEnd();
                    nodes.Add(new OutputNode(value, seg.Position));
                    break;
                default:
                    var tokens = new TokenStream(seg.Tokens, this);
                    var keyword = tokens.Peek.Kind == TokenKind.Name ? tokens.Peek.Text : "";
                    if (ends.Contains(keyword)) { terminator = keyword; _index--; _depth--; return nodes; }
                    nodes.Add(ParseStatement(tokens, seg));
                    break;
            }
        }
        _depth--;
        return nodes;
    }

    /// <summary>Consumes the end tag a body stopped at, returning its tokens.</summary>
    TokenStream TakeTerminator()
    {
        var seg = _segments[_index++];
        var t = new TokenStream(seg.Tokens, this);
        t.Next();
        return t;
    }

    Node ParseStatement(TokenStream t, Segment seg)
    {
        var keyword = t.Next();
        if (keyword.Kind != TokenKind.Name) throw new ChatTemplateException($"expected a statement at position {keyword.Position}");
        int pos = seg.Position;
        switch (keyword.Text)
        {
            case "if": return ParseIf(t, pos);
            case "for": return ParseFor(t, pos);
            case "set": return ParseSet(t, pos);
            case "macro": return ParseMacro(t, pos);
            case "call": return ParseCallBlock(t, pos);
            case "filter": return ParseFilterBlock(t, pos);
            case "generation":
                {
                    t.ExpectEnd();
                    var body = ParseBody(out var end, "endgeneration");
                    Expect(end, "endgeneration", pos);
                    TakeTerminator().ExpectEnd();
                    return new GenerationNode(body, pos);
                }
            case "break": t.ExpectEnd(); return new BreakNode(pos);
            case "continue": t.ExpectEnd(); return new ContinueNode(pos);
            case "do": { var e = t.ParseExpression(); t.ExpectEnd(); return new DoNode(e, pos); }
            default:
                throw new ChatTemplateException($"unknown or unsupported tag '{keyword.Text}' at position {pos}");
        }
    }

    static void Expect(string? end, string wanted, int pos)
    {
        if (end != wanted) throw new ChatTemplateException($"the block opened at position {pos} is never closed with '{wanted}'");
    }

    Node ParseIf(TokenStream t, int pos)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var test = t.ParseExpression();
        t.ExpectEnd();
        while (true)
        {
            var body = ParseBody(out var end, "elif", "else", "endif");
            branches.Add((test, body));
            if (end is null) throw new ChatTemplateException($"'if' at position {pos} is never closed with 'endif'");
            var tail = TakeTerminator();
            if (end == "elif") { test = tail.ParseExpression(); tail.ExpectEnd(); continue; }
            if (end == "endif") { tail.ExpectEnd(); return new IfNode(branches, null, pos); }
            tail.ExpectEnd();
            var elseBody = ParseBody(out var last, "endif");
            Expect(last, "endif", pos);
            TakeTerminator().ExpectEnd();
            return new IfNode(branches, elseBody, pos);
        }
    }

    Node ParseFor(TokenStream t, int pos)
    {
        var targets = new List<string> { t.ExpectName() };
        while (t.TryOperator(",")) targets.Add(t.ExpectName());
        t.ExpectName("in");
        var iterable = t.ParseExpression(noConditional: true);
        Expr? filter = null;
        bool recursive = false;
        if (t.TryName("if")) filter = t.ParseExpression(noConditional: true);
        if (t.TryName("recursive")) recursive = true;
        t.ExpectEnd();
        var body = ParseBody(out var end, "else", "endfor");
        if (end is null) throw new ChatTemplateException($"'for' at position {pos} is never closed with 'endfor'");
        TakeTerminator().ExpectEnd();
        List<Node>? elseBody = null;
        if (end == "else")
        {
            elseBody = ParseBody(out var last, "endfor");
            Expect(last, "endfor", pos);
            TakeTerminator().ExpectEnd();
        }
        return new ForNode(targets, iterable, filter, body, elseBody, recursive, pos);
    }

    Node ParseSet(TokenStream t, int pos)
    {
        var first = t.ExpectName();
        string? attribute = null;
        var targets = new List<string> { first };
        if (t.TryOperator(".")) attribute = t.ExpectName();
        else while (t.TryOperator(",")) targets.Add(t.ExpectName());
        if (t.TryOperator("="))
        {
            var value = t.ParseTupleOrExpression();
            t.ExpectEnd();
            return new SetNode(targets, attribute, value, pos);
        }
        var filters = new List<(string, IReadOnlyList<Expr>)>();
        while (t.TryOperator("|"))
        {
            var name = t.ExpectName();
            var args = t.Peek.Text == "(" && t.Peek.Kind == TokenKind.Operator ? t.ParseCallArguments().Args : Array.Empty<Expr>();
            filters.Add((name, args));
        }
        t.ExpectEnd();
        if (attribute is not null || targets.Count > 1) throw new ChatTemplateException($"a set block at position {pos} assigns one plain name");
        var body = ParseBody(out var end, "endset");
        Expect(end, "endset", pos);
        TakeTerminator().ExpectEnd();
        return new SetBlockNode(first, filters, body, pos);
    }

    Node ParseMacro(TokenStream t, int pos)
    {
        var name = t.ExpectName();
        var parameters = ParseParameters(t);
        t.ExpectEnd();
        var body = ParseBody(out var end, "endmacro");
        Expect(end, "endmacro", pos);
        var tail = TakeTerminator();
        if (tail.Peek.Kind == TokenKind.Name) tail.Next();   // {% endmacro name %}
        tail.ExpectEnd();
        return new MacroNode(name, parameters, body, pos);
    }

    static List<(string, Expr?)> ParseParameters(TokenStream t)
    {
        var parameters = new List<(string, Expr?)>();
        if (!t.TryOperator("(")) return parameters;
        while (!t.TryOperator(")"))
        {
            if (parameters.Count > 0) t.ExpectOperator(",");
            if (t.TryOperator(")")) break;
            var p = t.ExpectName();
            Expr? d = t.TryOperator("=") ? t.ParseExpression() : null;
            parameters.Add((p, d));
        }
        return parameters;
    }

    Node ParseCallBlock(TokenStream t, int pos)
    {
        var callerParameters = t.Peek.Text == "(" ? ParseParameters(t) : new List<(string, Expr?)>();
        var call = t.ParseExpression();
        t.ExpectEnd();
        var body = ParseBody(out var end, "endcall");
        Expect(end, "endcall", pos);
        TakeTerminator().ExpectEnd();
        return new CallBlockNode(call, callerParameters, body, pos);
    }

    Node ParseFilterBlock(TokenStream t, int pos)
    {
        var filters = new List<(string, IReadOnlyList<Expr>, IReadOnlyList<(string, Expr)>)>();
        do
        {
            var name = t.ExpectName();
            var (args, kwargs) = t.Peek.Text == "(" && t.Peek.Kind == TokenKind.Operator ? t.ParseCallArguments() : (Array.Empty<Expr>(), Array.Empty<(string, Expr)>());
            filters.Add((name, args, kwargs));
        } while (t.TryOperator("|"));
        t.ExpectEnd();
        var body = ParseBody(out var end, "endfilter");
        Expect(end, "endfilter", pos);
        TakeTerminator().ExpectEnd();
        return new FilterBlockNode(filters, body, pos);
    }

    internal void Enter(int position)
    {
        if (++_depth > _maxDepth) throw new ChatTemplateException($"the template nests deeper than {_maxDepth} levels (position {position})");
    }

    internal void Leave() => _depth--;

    /// <summary>The expression grammar over one tag's tokens.</summary>
    sealed class TokenStream(IReadOnlyList<Token> tokens, JinjaParser parser)
    {
        int _i;

        public Token Peek => tokens[_i];
        Token PeekAt(int k) => tokens[Math.Min(_i + k, tokens.Count - 1)];
        public Token Next() => tokens[_i < tokens.Count - 1 ? _i++ : _i];

        public void ExpectEnd()
        {
            if (Peek.Kind != TokenKind.End) throw new ChatTemplateException($"unexpected '{Peek.Text}' at position {Peek.Position}");
        }

        public string ExpectName(string? name = null)
        {
            var t = Next();
            if (t.Kind != TokenKind.Name || (name is not null && t.Text != name))
                throw new ChatTemplateException($"expected {(name is null ? "a name" : $"'{name}'")} at position {t.Position}, got '{t.Text}'");
            return t.Text;
        }

        public void ExpectOperator(string op)
        {
            var t = Next();
            if (t.Kind != TokenKind.Operator || t.Text != op) throw new ChatTemplateException($"expected '{op}' at position {t.Position}, got '{t.Text}'");
        }

        public bool TryOperator(string op)
        {
            if (Peek.Kind != TokenKind.Operator || Peek.Text != op) return false;
            _i++;
            return true;
        }

        public bool TryName(string name)
        {
            if (Peek.Kind != TokenKind.Name || Peek.Text != name) return false;
            _i++;
            return true;
        }

        /// <summary>An expression, or an unparenthesised tuple <c>a, b</c> (set statements).</summary>
        public Expr ParseTupleOrExpression()
        {
            var first = ParseExpression();
            if (Peek.Kind != TokenKind.Operator || Peek.Text != ",") return first;
            var items = new List<Expr> { first };
            while (TryOperator(","))
            {
                if (Peek.Kind == TokenKind.End) break;
                items.Add(ParseExpression());
            }
            return new ListExpr(items, IsTuple: true, first.Position);
        }

        public Expr ParseExpression(bool noConditional = false)
        {
            parser.Enter(Peek.Position);
            try
            {
                var expr = ParseOr();
                if (noConditional) return expr;
                while (TryName("if"))
                {
                    var test = ParseOr();
                    Expr? otherwise = TryName("else") ? ParseExpression() : null;
                    expr = new ConditionalExpr(test, expr, otherwise, expr.Position);
                }
                return expr;
            }
            finally { parser.Leave(); }
        }

        Expr ParseOr()
        {
            var left = ParseAnd();
            while (TryName("or")) left = new BinaryExpr("or", left, ParseAnd(), left.Position);
            return left;
        }

        Expr ParseAnd()
        {
            var left = ParseNot();
            while (TryName("and")) left = new BinaryExpr("and", left, ParseNot(), left.Position);
            return left;
        }

        Expr ParseNot()
        {
            if (Peek.Kind == TokenKind.Name && Peek.Text == "not")
            {
                var pos = Next().Position;
                parser.Enter(pos);
                try { return new UnaryExpr("not", ParseNot(), pos); }
                finally { parser.Leave(); }
            }
            return ParseCompare();
        }

        Expr ParseCompare()
        {
            var first = ParseMath1();
            var rest = new List<(string, Expr)>();
            while (true)
            {
                if (Peek.Kind == TokenKind.Operator && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
                    rest.Add((Next().Text, ParseMath1()));
                else if (Peek.Kind == TokenKind.Name && Peek.Text == "in") { Next(); rest.Add(("in", ParseMath1())); }
                else if (Peek.Kind == TokenKind.Name && Peek.Text == "not" && PeekAt(1).Kind == TokenKind.Name && PeekAt(1).Text == "in")
                {
                    Next(); Next();
                    rest.Add(("notin", ParseMath1()));
                }
                else break;
            }
            return rest.Count == 0 ? first : new CompareExpr(first, rest, first.Position);
        }

        Expr ParseMath1()
        {
            var left = ParseConcat();
            while (Peek.Kind == TokenKind.Operator && Peek.Text is "+" or "-")
                left = new BinaryExpr(Next().Text, left, ParseConcat(), left.Position);
            return left;
        }

        Expr ParseConcat()
        {
            var left = ParseMath2();
            while (TryOperator("~")) left = new BinaryExpr("~", left, ParseMath2(), left.Position);
            return left;
        }

        Expr ParseMath2()
        {
            var left = ParsePow();
            while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%")
                left = new BinaryExpr(Next().Text, left, ParsePow(), left.Position);
            return left;
        }

        Expr ParsePow()
        {
            var left = ParseUnary();
            while (TryOperator("**")) left = new BinaryExpr("**", left, ParseUnary(), left.Position);
            return left;
        }

        Expr ParseUnary(bool withFilter = true)
        {
            Expr node;
            if (Peek.Kind == TokenKind.Operator && Peek.Text is "-" or "+")
            {
                var op = Next();
                parser.Enter(op.Position);
                try { node = new UnaryExpr(op.Text, ParseUnary(withFilter: false), op.Position); }
                finally { parser.Leave(); }
            }
            else node = ParsePrimary();
            node = ParsePostfix(node);
            return withFilter ? ParseFilters(node) : node;
        }

        Expr ParsePrimary()
        {
            var t = Next();
            switch (t.Kind)
            {
                case TokenKind.Name:
                    return t.Text switch
                    {
                        "true" or "True" => new Literal(true, t.Position),
                        "false" or "False" => new Literal(false, t.Position),
                        "none" or "None" => new Literal(null, t.Position),
                        _ => new NameExpr(t.Text, t.Position),
                    };
                case TokenKind.String:
                    var s = (string)t.Value!;
                    while (Peek.Kind == TokenKind.String) s += (string)Next().Value!;   // adjacent literals join
                    return new Literal(s, t.Position);
                case TokenKind.Integer:
                case TokenKind.Float:
                    return new Literal(t.Value, t.Position);
                case TokenKind.Operator when t.Text == "(":
                    {
                        parser.Enter(t.Position);
                        try
                        {
                            if (TryOperator(")")) return new ListExpr(Array.Empty<Expr>(), IsTuple: true, t.Position);
                            var first = ParseExpression();
                            if (TryOperator(")")) return first;
                            var items = new List<Expr> { first };
                            while (TryOperator(","))
                            {
                                if (Peek.Text == ")" && Peek.Kind == TokenKind.Operator) break;
                                items.Add(ParseExpression());
                            }
                            ExpectOperator(")");
                            return new ListExpr(items, IsTuple: true, t.Position);
                        }
                        finally { parser.Leave(); }
                    }
                case TokenKind.Operator when t.Text == "[":
                    {
                        parser.Enter(t.Position);
                        try
                        {
                            var items = new List<Expr>();
                            while (!TryOperator("]"))
                            {
                                if (items.Count > 0) { ExpectOperator(","); if (TryOperator("]")) break; }
                                items.Add(ParseExpression());
                            }
                            return new ListExpr(items, IsTuple: false, t.Position);
                        }
                        finally { parser.Leave(); }
                    }
                case TokenKind.Operator when t.Text == "{":
                    {
                        parser.Enter(t.Position);
                        try
                        {
                            var items = new List<(Expr, Expr)>();
                            while (!TryOperator("}"))
                            {
                                if (items.Count > 0) { ExpectOperator(","); if (TryOperator("}")) break; }
                                var key = ParseExpression();
                                ExpectOperator(":");
                                items.Add((key, ParseExpression()));
                            }
                            return new DictExpr(items, t.Position);
                        }
                        finally { parser.Leave(); }
                    }
                default:
                    throw new ChatTemplateException($"unexpected '{(t.Kind == TokenKind.End ? "end of tag" : t.Text)}' at position {t.Position}");
            }
        }

        Expr ParsePostfix(Expr node)
        {
            while (true)
            {
                if (TryOperator("."))
                {
                    var t = Next();
                    if (t.Kind is not (TokenKind.Name or TokenKind.Integer)) throw new ChatTemplateException($"expected an attribute name at position {t.Position}");
                    node = t.Kind == TokenKind.Integer ? new ItemExpr(node, new Literal(t.Value, t.Position), node.Position) : new AttributeExpr(node, t.Text, node.Position);
                }
                else if (Peek.Kind == TokenKind.Operator && Peek.Text == "[")
                {
                    var open = Next();
                    parser.Enter(open.Position);
                    try { node = ParseSubscript(node); }
                    finally { parser.Leave(); }
                }
                else if (Peek.Kind == TokenKind.Operator && Peek.Text == "(")
                {
                    var (args, kwargs) = ParseCallArguments();
                    node = new CallExpr(node, args, kwargs, node.Position);
                }
                else return node;
            }
        }

        Expr ParseSubscript(Expr target)
        {
            Expr? start = null, stop = null, step = null;
            bool slice = false;
            if (!(Peek.Kind == TokenKind.Operator && Peek.Text == ":")) start = ParseExpression();
            if (TryOperator(":"))
            {
                slice = true;
                if (!(Peek.Kind == TokenKind.Operator && Peek.Text is ":" or "]")) stop = ParseExpression();
                if (TryOperator(":") && !(Peek.Kind == TokenKind.Operator && Peek.Text == "]")) step = ParseExpression();
            }
            ExpectOperator("]");
            return slice ? new SliceExpr(target, start, stop, step, target.Position) : new ItemExpr(target, start!, target.Position);
        }

        public (IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) ParseCallArguments()
        {
            var open = Next();
            parser.Enter(open.Position);
            try
            {
                var args = new List<Expr>();
                var kwargs = new List<(string, Expr)>();
                while (!TryOperator(")"))
                {
                    if (args.Count + kwargs.Count > 0) { ExpectOperator(","); if (TryOperator(")")) break; }
                    if (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "**")
                    {
                        // *args / **kwargs: unpacked when the call is evaluated.
                        var star = Next();
                        var spread = ParseExpression();
                        if (star.Text == "*") args.Add(new UnaryExpr("*", spread, star.Position));
                        else kwargs.Add(("**", spread));
                    }
                    else if (Peek.Kind == TokenKind.Name && PeekAt(1).Kind == TokenKind.Operator && PeekAt(1).Text == "=")
                    {
                        var name = Next().Text;
                        Next();
                        kwargs.Add((name, ParseExpression()));
                    }
                    else args.Add(ParseExpression());
                }
                return (args, kwargs);
            }
            finally { parser.Leave(); }
        }

        Expr ParseFilters(Expr node)
        {
            while (true)
            {
                if (TryOperator("|"))
                {
                    var name = ExpectName();
                    while (TryOperator(".")) name += "." + ExpectName();
                    var (args, kwargs) = Peek.Kind == TokenKind.Operator && Peek.Text == "(" ? ParseCallArguments() : (Array.Empty<Expr>(), Array.Empty<(string, Expr)>());
                    node = new FilterExpr(node, name, args, kwargs, node.Position);
                }
                else if (Peek.Kind == TokenKind.Name && Peek.Text == "is")
                {
                    Next();
                    bool negated = TryName("not");
                    var t = Next();
                    if (t.Kind != TokenKind.Name) throw new ChatTemplateException($"expected a test name at position {t.Position}");
                    string name = t.Text;
                    IReadOnlyList<Expr> args = Array.Empty<Expr>();
                    if (Peek.Kind == TokenKind.Operator && Peek.Text == "(") args = ParseCallArguments().Args;
                    else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                        || (Peek.Kind == TokenKind.Name && Peek.Text is not ("else" or "or" or "and" or "if" or "is" or "in" or "not"))
                        || (Peek.Kind == TokenKind.Operator && Peek.Text is "[" or "{"))
                        args = new[] { ParsePostfix(ParsePrimary()) };
                    node = new TestExpr(node, name, args, negated, node.Position);
                }
                else return node;
            }
        }
    }
}
