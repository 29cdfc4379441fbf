using System.Text.Json;
using System.Text.Json.Nodes;
using Trl.Tokenization;

namespace Trl.Data;

/// <summary>Conversations of dataset rows through the tokenizer's chat template: a template that cannot render a row
/// (a raise_exception, a missing template) becomes a data error naming the row's file, row and field. As in TRL, a
/// row's <c>tools</c> (a list, or a JSON string of one) and <c>chat_template_kwargs</c> (an object of extra template
/// variables such as enable_thinking) go to the template.</summary>
public static class ChatRows
{
    /// <summary>Renders <paramref name="messages"/> (read from <paramref name="field"/> of <paramref name="row"/>).</summary>
    public static ChatTemplates.Rendered Render(DatasetRow row, string field, ITextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(row);
        var options = OptionsOf(row);
        try { return ChatTemplates.Apply(tokenizer, messages, addGenerationPrompt, options); }
        catch (Exception e) when (e is ChatTemplateException or InvalidOperationException)
        {
            throw row.Error(field, $"could not be rendered with the chat template: {e.Message}");
        }
    }

    /// <summary>The row's tools and chat_template_kwargs as apply_chat_template options (empty tools count as none,
    /// as TRL passes <c>tools or None</c>).</summary>
    public static ChatTemplateOptions OptionsOf(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        JsonArray? tools = row.Values["tools"] switch
        {
            null => null,
            JsonArray a => a,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => ParseTools(row, v.GetValue<string>()),
            _ => throw row.Error("tools", "must be a list of tool schemas (or a JSON string of one)"),
        };
        JsonObject? kwargs = row.Values["chat_template_kwargs"] switch
        {
            null => null,
            JsonObject o => o,
            _ => throw row.Error("chat_template_kwargs", "must be an object of template variables"),
        };
        if (tools is { Count: 0 }) tools = null;
        return tools is null && kwargs is null ? ChatTemplateOptions.Default : new ChatTemplateOptions { Tools = tools, Variables = kwargs };
    }

    static JsonArray ParseTools(DatasetRow row, string json)
    {
        try { return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonArray ?? throw row.Error("tools", "the JSON string is not a list"); }
        catch (JsonException e) { throw row.Error("tools", $"is not valid JSON: {e.Message}"); }
    }
}
