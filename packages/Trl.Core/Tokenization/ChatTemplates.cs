using Trl.Tokenization.Jinja;

namespace Trl.Tokenization;

/// <summary>Renders conversations with a tokenizer's chat template (transformers' apply_chat_template), including
/// the assistant-token mask that <c>{% generation %}</c> blocks define.</summary>
public static class ChatTemplates
{
    /// <summary>A rendered conversation: text, ids, and 1 on tokens inside a generation block.</summary>
    public sealed record Rendered(string Text, IReadOnlyList<long> InputIds, IReadOnlyList<int> AssistantMask, bool HasGenerationBlocks);

    /// <summary>Renders <paramref name="messages"/>. Throws <see cref="ChatTemplateException"/> for a template this engine
    /// cannot render and <see cref="InvalidOperationException"/> when the tokenizer has no template.</summary>
    public static Rendered Apply(ITextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(messages);
        var source = tokenizer.ChatTemplate ?? throw new InvalidOperationException("The tokenizer has no chat_template (tokenizer_config.json or chat_template.jinja).");
        var (text, spans) = Parse(source).Render(new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = tokenizer.Special.BosToken ?? "",
            ["eos_token"] = tokenizer.Special.EosToken ?? "",
            ["pad_token"] = tokenizer.Special.PadToken ?? "",
        });
        var tokens = tokenizer.EncodeWithOffsets(text);
        var mask = tokens.Select(t => spans.Any(s => t.Start < s.End && t.End > s.Start) ? 1 : 0).ToArray();
        return new Rendered(text, tokens.Select(t => t.Id).ToArray(), mask, spans.Count > 0);
    }

    static readonly Dictionary<string, Template> Cache = new(StringComparer.Ordinal);

    static Template Parse(string source)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(source, out var t)) Cache[source] = t = new Template(source);
            return t;
        }
    }
}
