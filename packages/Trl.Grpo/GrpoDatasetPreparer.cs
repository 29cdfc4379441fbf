using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Kernels;
using Trl.Tokenization;

namespace Trl.Grpo;

/// <summary>Turns prompt-only rows (<c>{"prompt": str}</c> or <c>{"prompt": [messages]}</c>) into
/// <see cref="GrpoPrompt"/>s as TRL does: conversations get the chat template with the generation prompt, plain
/// prompts are tokenized as they are, max_prompt_length keeps the last tokens, and all other columns travel along
/// for the reward functions.</summary>
public class GrpoDatasetPreparer(ITextTokenizer tokenizer, GrpoConfig config) : DatasetPreparer<GrpoPrompt>
{
    /// <inheritdoc />
    protected override IEnumerable<GrpoPrompt> PrepareRow(DatasetRow row) => new[] { Tokenize(row) };

    /// <summary>Prepares one row; a bad row throws an error naming its file, row and field.</summary>
    public virtual GrpoPrompt Tokenize(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!row.Has("prompt")) throw row.Error("prompt", "is missing (GRPO needs prompt-only rows)");
        var columns = new JsonObject();
        foreach (var (key, value) in row.Values)
            if (key != "prompt") columns[key] = value?.DeepClone();
        if (row.IsConversational("prompt"))
        {
            var messages = row.GetMessages("prompt");
            var rendered = ChatRows.Render(row, "prompt", tokenizer, messages, addGenerationPrompt: true);
            var ids = Sequences.TruncateKeepEnd(rendered.InputIds, config.MaxPromptLength);
            if (ids.Count == 0) throw row.Error("prompt", "renders to no tokens");
            return new GrpoPrompt(ids, rendered.Text, columns) { PromptMessages = messages };
        }
        var text = row.GetString("prompt");
        var tokens = Sequences.TruncateKeepEnd(tokenizer.Encode(text), config.MaxPromptLength);
        if (tokens.Count == 0) throw row.Error("prompt", "is empty");
        return new GrpoPrompt(tokens, text, columns);
    }
}
