namespace Trl.Tokenization;

/// <summary>A folder's chat templates: the default one (null when there is none) and the named ones.</summary>
public sealed class ChatTemplateSet(string? defaultTemplate, IReadOnlyDictionary<string, string> named)
{
    /// <summary>The default template, or null.</summary>
    public string? Default { get; } = defaultTemplate;

    /// <summary>Named templates (tool_use, rag …) besides the default.</summary>
    public IReadOnlyDictionary<string, string> Named { get; } = named;

    /// <summary>The template called <paramref name="name"/> ("default" or null for the default, tool_use when tools
    /// are given and it exists), as <see cref="ChatTemplates.Select"/> picks it.</summary>
    public string? Find(string? name, bool withTools = false)
    {
        if (name is null) return withTools && Named.TryGetValue("tool_use", out var toolUse) ? toolUse : Default;
        if (name == "default") return Default;
        return Named.TryGetValue(name, out var t) ? t : null;
    }
}
