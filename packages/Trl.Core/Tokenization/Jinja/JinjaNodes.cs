namespace Trl.Tokenization.Jinja;

/// <summary>A node of a parsed template.</summary>
internal abstract record Node(int Position);

// Statements.
internal sealed record TextNode(string Text, int Position) : Node(Position);
internal sealed record OutputNode(Expr Value, int Position) : Node(Position);
internal sealed record IfNode(IReadOnlyList<(Expr Test, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node>? Else, int Position) : Node(Position);
internal sealed record ForNode(IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node>? Else, bool Recursive, int Position) : Node(Position);
internal sealed record SetNode(IReadOnlyList<string> Targets, string? Attribute, Expr Value, int Position) : Node(Position);
internal sealed record SetBlockNode(string Target, IReadOnlyList<(string Name, IReadOnlyList<Expr> Args)> Filters, IReadOnlyList<Node> Body, int Position) : Node(Position);
internal sealed record MacroNode(string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Node> Body, int Position) : Node(Position);
internal sealed record CallBlockNode(Expr Call, IReadOnlyList<(string Name, Expr? Default)> CallerParameters, IReadOnlyList<Node> Body, int Position) : Node(Position);
internal sealed record FilterBlockNode(IReadOnlyList<(string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs)> Filters, IReadOnlyList<Node> Body, int Position) : Node(Position);
internal sealed record GenerationNode(IReadOnlyList<Node> Body, int Position) : Node(Position);
internal sealed record BreakNode(int Position) : Node(Position);
internal sealed record ContinueNode(int Position) : Node(Position);
internal sealed record DoNode(Expr Value, int Position) : Node(Position);

// Expressions.
internal abstract record Expr(int Position) : Node(Position);
internal sealed record Literal(object? Value, int Position) : Expr(Position);
internal sealed record NameExpr(string Name, int Position) : Expr(Position);
internal sealed record ListExpr(IReadOnlyList<Expr> Items, bool IsTuple, int Position) : Expr(Position);
internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Items, int Position) : Expr(Position);
internal sealed record AttributeExpr(Expr Target, string Name, int Position) : Expr(Position);
internal sealed record ItemExpr(Expr Target, Expr Key, int Position) : Expr(Position);
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Position) : Expr(Position);
internal sealed record CallExpr(Expr Target, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Position) : Expr(Position);
internal sealed record FilterExpr(Expr Target, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Position) : Expr(Position);
internal sealed record TestExpr(Expr Target, string Name, IReadOnlyList<Expr> Args, bool Negated, int Position) : Expr(Position);
internal sealed record UnaryExpr(string Op, Expr Operand, int Position) : Expr(Position);
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Position) : Expr(Position);
internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Op, Expr Right)> Rest, int Position) : Expr(Position);
internal sealed record ConditionalExpr(Expr Test, Expr Then, Expr? Else, int Position) : Expr(Position);
