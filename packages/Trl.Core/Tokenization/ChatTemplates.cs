using System.Text.Json.Nodes;

namespace Trl.Tokenization;

/// <summary>Renders conversations with a tokenizer's chat template as transformers' apply_chat_template does: the
/// template variables are messages, tools, documents and add_generation_prompt (always present, null when not given),
/// then the tokenizer's special tokens, then any extra variables (which win); a named template is chosen as
/// transformers does (the requested name, else <c>tool_use</c> when tools are given, else <c>default</c>). The
/// assistant mask marks the tokens of <c>{% generation %}</c> blocks as transformers maps them (the tokens from the
/// one holding a block's first character to the one holding its last).</summary>
public static class ChatTemplates
{
    /// <summary>A rendered conversation: text, ids, and 1 on tokens inside a generation block.</summary>
    public sealed record Rendered(string Text, IReadOnlyList<long> InputIds, IReadOnlyList<int> AssistantMask, bool HasGenerationBlocks);

    /// <summary>Renders and tokenizes <paramref name="messages"/>. Throws <see cref="ChatTemplateException"/> for a
    /// template that cannot render them (including its own raise_exception) and <see cref="InvalidOperationException"/>
    /// when the tokenizer has no template.</summary>
    public static Rendered Apply(ITextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(messages);
        options ??= ChatTemplateOptions.Default;
        var context = new JsonObject { ["messages"] = new JsonArray(messages.Select(m => (JsonNode)m.ToJson()).ToArray()) };
        if (addGenerationPrompt) context["add_generation_prompt"] = true;
        if (options.Tools is not null) context["tools"] = options.Tools.DeepClone();
        if (options.Documents is not null) context["documents"] = options.Documents.DeepClone();
        if (options.Variables is not null) foreach (var (k, v) in options.Variables) context[k] = v?.DeepClone();
        var template = Select(tokenizer, options.TemplateName, options.Tools is not null);
        return Tokenize(tokenizer, Render(template, context, tokenizer.Special), template.HasGenerationBlocks);
    }

    /// <summary>Tokenizes a rendering as apply_chat_template(tokenize=True) does (no special tokens added) and maps its
    /// generation spans to the assistant mask.</summary>
    public static Rendered Tokenize(ITextTokenizer tokenizer, ChatTemplateRendering rendering, bool hasGenerationBlocks)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(rendering);
        var tokens = tokenizer.EncodeWithOffsets(rendering.Text);
        return new Rendered(rendering.Text, tokens.Select(t => t.Id).ToArray(), AssistantMask(tokens, rendering.GenerationSpans), hasGenerationBlocks);
    }

    /// <summary>Renders <paramref name="template"/> with a context as transformers does: messages, tools, documents and
    /// add_generation_prompt always defined (null / false when absent), the special tokens that are set, then the
    /// context's other variables (which win over the special tokens).</summary>
    /// <remarks>With <paramref name="continueFinalMessage"/> the text ends right after the last message's content (no
    /// end-of-turn tokens), so a model continues it: transformers' marker-and-cut algorithm.</remarks>
    public static ChatTemplateRendering Render(ChatTemplate template, JsonObject context, SpecialTokens? special = null, bool continueFinalMessage = false)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(context);
        var variables = new JsonObject { ["messages"] = null, ["tools"] = null, ["documents"] = null, ["add_generation_prompt"] = false };
        if (special is not null)
            foreach (var (k, v) in SpecialTokenVariables(special)) variables[k] = v?.DeepClone();
        foreach (var (k, v) in context) variables[k] = v?.DeepClone();
        if (!continueFinalMessage) return template.Render(variables);

        const string Marker = "CONTINUE_FINAL_MESSAGE_TAG ";
        if (variables["messages"] is not JsonArray { Count: > 0 } messages || messages[^1] is not JsonObject last)
            throw new ChatTemplateException("continue_final_message needs a final message to continue");
        string final;
        switch (last["content"])
        {
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                final = v.GetValue<string>();
                last["content"] = final + Marker;
                break;
            case JsonArray parts when parts.OfType<JsonObject>().LastOrDefault(p => p["text"] is JsonValue) is { } block:
                final = block["text"]!.GetValue<string>();
                block["text"] = final + Marker;
                break;
            default:
                throw new ChatTemplateException("continue_final_message is set but the final message has no text to continue");
        }
        var rendering = template.Render(variables);
        var text = rendering.Text;
        var tag = Marker.Trim();
        if (!text.Contains(final.Trim(), StringComparison.Ordinal) || !text.Contains(tag, StringComparison.Ordinal))
            throw new ChatTemplateException("continue_final_message is set but the final message does not appear in the chat after applying the chat template");
        int at = text.LastIndexOf(tag, StringComparison.Ordinal);
        text = string.CompareOrdinal(text, at, Marker, 0, Marker.Length) == 0 ? text[..at] : text[..at].TrimEnd();
        return new ChatTemplateRendering(text, rendering.GenerationSpans.Where(s => s.End <= text.Length).ToList());
    }

    /// <summary>The special tokens a template sees (bos_token, eos_token, unk_token, pad_token: those that are set).</summary>
    public static JsonObject SpecialTokenVariables(SpecialTokens special)
    {
        ArgumentNullException.ThrowIfNull(special);
        var o = new JsonObject();
        if (special.BosToken is not null) o["bos_token"] = special.BosToken;
        if (special.EosToken is not null) o["eos_token"] = special.EosToken;
        if (special.UnkToken is not null) o["unk_token"] = special.UnkToken;
        if (special.PadToken is not null) o["pad_token"] = special.PadToken;
        return o;
    }

    /// <summary>The tokenizer's template to use: by name, else tool_use when tools are given, else the default.</summary>
    public static ChatTemplate Select(ITextTokenizer tokenizer, string? name = null, bool withTools = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var named = tokenizer.NamedChatTemplates;
        string? source;
        if (name is not null)
            source = named.TryGetValue(name, out var byName) ? byName
                : name == "default" ? tokenizer.ChatTemplate
                : throw new InvalidOperationException($"The tokenizer has no chat template named '{name}' (it has: {string.Join(", ", named.Keys.Append("default"))}).");
        else source = withTools && named.TryGetValue("tool_use", out var toolUse) ? toolUse : tokenizer.ChatTemplate;
        if (source is null) throw new InvalidOperationException("The tokenizer has no chat_template (tokenizer_config.json or chat_template.jinja).");
        return Parse(source);
    }

    /// <summary>transformers' mapping of generation spans to tokens (char_to_token of each span's first and last character).</summary>
    static int[] AssistantMask(IReadOnlyList<(long Id, int Start, int End)> tokens, IReadOnlyList<(int Start, int End)> spans)
    {
        var mask = new int[tokens.Count];
        int TokenAt(int c)
        {
            for (int i = 0; i < tokens.Count; i++) if (tokens[i].Start <= c && c < tokens[i].End) return i;
            return -1;
        }
        foreach (var (start, end) in spans)
        {
            int first = TokenAt(start);
            if (first < 0) break;
            int last = end > start ? TokenAt(end - 1) : -1;
            for (int i = first; i <= (last >= 0 ? last : tokens.Count - 1); i++) mask[i] = 1;
        }
        return mask;
    }

    static readonly Dictionary<string, ChatTemplate> Cache = new(StringComparer.Ordinal);

    static ChatTemplate Parse(string source)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(source, out var t)) return t;
            if (Cache.Count >= 64) Cache.Clear();
            return Cache[source] = ChatTemplate.Parse(source);
        }
    }
}

/// <summary>What else apply_chat_template passes to the template: tools, documents, a named template, and extra
/// variables (enable_thinking, date_string …).</summary>
public sealed record ChatTemplateOptions
{
    /// <summary>No tools, documents or extra variables; the default template.</summary>
    public static readonly ChatTemplateOptions Default = new();
    /// <summary>Tool definitions (JSON schemas) the template lists.</summary>
    public JsonArray? Tools { get; init; }
    /// <summary>Documents for retrieval-augmented templates.</summary>
    public JsonArray? Documents { get; init; }
    /// <summary>A named template (tokenizer_config.json's list form); null picks as transformers does.</summary>
    public string? TemplateName { get; init; }
    /// <summary>Extra template variables; they win over the special tokens.</summary>
    public JsonObject? Variables { get; init; }
}
