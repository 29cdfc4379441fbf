using System.Text.Json.Nodes;
using Trl.Tokenization.Jinja;

namespace Trl.Tokenization;

/// <summary>A parsed chat template, rendered the way transformers renders chat templates: jinja2 with trim_blocks and
/// lstrip_blocks, loop controls, transformers' tojson, raise_exception and strftime_now, and the character spans of
/// <c>{% generation %}</c> blocks. Rendering is bounded (steps, output size, recursion depth, nesting), so a hostile
/// template is an error in bounded time and memory.</summary>
public sealed class ChatTemplate
{
    readonly List<Node> _nodes;

    ChatTemplate(string source, List<Node> nodes)
    {
        Source = source;
        _nodes = nodes;
        HasGenerationBlocks = ContainsGeneration(nodes);
    }

    /// <summary>The template source.</summary>
    public string Source { get; }

    /// <summary>Whether the template marks assistant text with <c>{% generation %}</c> (needed for assistant-only loss).</summary>
    public bool HasGenerationBlocks { get; }

    static readonly JinjaLimits Limits = new();

    /// <summary>Parses a template; a syntax error is a <see cref="ChatTemplateException"/> naming the position.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, JinjaParser.Parse(source, Limits.MaxNesting));
    }

    /// <summary>Renders with the template variables of <paramref name="context"/> (messages, tools, documents,
    /// add_generation_prompt, special tokens, anything else the template reads). Returns the text and the
    /// [start, end) character spans of its generation blocks.</summary>
    public ChatTemplateRendering Render(JsonObject context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var globals = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in context) globals[k] = JinjaJson.FromJson(v);
        var (text, spans) = new JinjaRenderer(globals, Limits).Render(_nodes);
        return new ChatTemplateRendering(text, spans);
    }

    static bool ContainsGeneration(IEnumerable<Node> nodes) => nodes.Any(n => n switch
    {
        GenerationNode => true,
        IfNode i => i.Branches.Any(b => ContainsGeneration(b.Body)) || (i.Else is not null && ContainsGeneration(i.Else)),
        ForNode f => ContainsGeneration(f.Body) || (f.Else is not null && ContainsGeneration(f.Else)),
        MacroNode m => ContainsGeneration(m.Body),
        SetBlockNode s => ContainsGeneration(s.Body),
        CallBlockNode c => ContainsGeneration(c.Body),
        FilterBlockNode fb => ContainsGeneration(fb.Body),
        _ => false,
    });
}

/// <summary>A rendered template: the text and the [start, end) character spans of its generation blocks.</summary>
public sealed class ChatTemplateRendering(string text, IReadOnlyList<(int Start, int End)> generationSpans)
{
    /// <summary>The rendered text.</summary>
    public string Text { get; } = text;

    /// <summary>Where assistant text was generated, as [start, end) offsets into <see cref="Text"/>.</summary>
    public IReadOnlyList<(int Start, int End)> GenerationSpans { get; } = generationSpans;
}
