using System.Text.Json.Nodes;
using Trl.Kernels;
using Trl.Tokenization;

namespace Trl.Data;

/// <summary>Turns prompt-only rows (<c>{"prompt": str}</c> or <c>{"prompt": [messages]}</c>) into
/// <see cref="PromptExample"/>s as TRL's online trainers do: conversations get the chat template with the generation
/// prompt, plain prompts are tokenized as they are, <paramref name="maxPromptLength"/> (when set) keeps the last tokens,
/// and all other columns travel along for the reward functions.</summary>
public class PromptDatasetPreparer(ITextTokenizer tokenizer, int? maxPromptLength = null) : DatasetPreparer<PromptExample>
{
    /// <summary>The tokenizer prompts are encoded with.</summary>
    protected ITextTokenizer Tokenizer => tokenizer;

    /// <inheritdoc />
    protected override IEnumerable<PromptExample> PrepareRow(DatasetRow row) => new[] { Tokenize(row) };

    /// <summary>Prepares one row; a bad row throws an error naming its file, row and field.</summary>
    public virtual PromptExample Tokenize(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!row.Has("prompt")) throw row.Error("prompt", "is missing (online trainers need prompt-only rows)");
        var columns = new JsonObject();
        foreach (var (key, value) in row.Values)
            if (key != "prompt") columns[key] = value?.DeepClone();
        if (row.IsConversational("prompt"))
        {
            var messages = row.GetMessages("prompt");
            var rendered = ChatRows.Render(row, "prompt", tokenizer, messages, addGenerationPrompt: true);
            var ids = Sequences.TruncateKeepEnd(rendered.InputIds, maxPromptLength);
            if (ids.Count == 0) throw row.Error("prompt", "renders to no tokens");
            return new PromptExample(ids, rendered.Text, columns) { PromptMessages = messages };
        }
        var text = row.GetString("prompt");
        var tokens = Sequences.TruncateKeepEnd(tokenizer.Encode(text), maxPromptLength);
        if (tokens.Count == 0) throw row.Error("prompt", "is empty");
        return new PromptExample(tokens, text, columns);
    }
}
