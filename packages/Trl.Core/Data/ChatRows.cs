using Trl.Tokenization;

namespace Trl.Data;

/// <summary>Conversations of dataset rows through the tokenizer's chat template: a template that cannot render a row
/// (a raise_exception, a missing template) becomes a data error naming the row's file, row and field.</summary>
public static class ChatRows
{
    /// <summary>Renders <paramref name="messages"/> (read from <paramref name="field"/> of <paramref name="row"/>).</summary>
    public static ChatTemplates.Rendered Render(DatasetRow row, string field, ITextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(row);
        try { return ChatTemplates.Apply(tokenizer, messages, addGenerationPrompt); }
        catch (Exception e) when (e is ChatTemplateException or InvalidOperationException)
        {
            throw row.Error(field, $"could not be rendered with the chat template: {e.Message}");
        }
    }
}
