using Trl.Data;
using Trl.Kernels;
using Trl.Tokenization;

namespace Trl.Gkd;

/// <summary>GKD's data as TRL's DataCollatorForChatML reads it: <c>messages</c> conversations (the prompt is every
/// message but the last, rendered with the generation prompt; the EOS comes from the chat template), or
/// prompt/completion rows (text, with the EOS id appended, as SFT does). Longer than max_length keeps the last tokens;
/// a row left without prompt or completion tokens is an error naming it.</summary>
public class GkdDatasetPreparer(ITextTokenizer tokenizer, GkdConfig config) : DatasetPreparer<GkdExample>
{
    /// <inheritdoc />
    protected override IEnumerable<GkdExample> PrepareRow(DatasetRow row) => new[] { Tokenize(row) };

    /// <summary>Prepares one row.</summary>
    public virtual GkdExample Tokenize(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        IReadOnlyList<long> ids;
        int promptLength;
        if (row.Has("messages"))
        {
            var messages = row.GetMessages("messages");
            if (messages.Count < 2) throw row.Error("messages", "needs a prompt and a final message to distil");
            var prompt = ChatRows.Render(row, "messages", tokenizer, messages.Take(messages.Count - 1).ToList(), addGenerationPrompt: true);
            ids = ChatRows.Render(row, "messages", tokenizer, messages, addGenerationPrompt: false).InputIds;
            promptLength = prompt.InputIds.Count;
        }
        else if (row.Has("prompt") && row.Has("completion"))
        {
            var prompt = tokenizer.Encode(row.GetString("prompt"));
            var completion = tokenizer.Encode(row.GetString("completion")).ToList();
            if (tokenizer.Special.EosTokenId is long eos) completion.Add(eos);
            ids = prompt.Concat(completion).ToArray();
            promptLength = prompt.Count;
        }
        else throw row.Error("messages", "is missing (GKD needs messages, or prompt and completion)");
        if (config.MaxLength is int max && ids.Count > max)
        {
            promptLength = Math.Max(0, promptLength - (ids.Count - max));
            ids = Sequences.TruncateKeepEnd(ids, max);
        }
        if (promptLength == 0) throw row.Error("prompt", "has no tokens left (max_length cut it off)");
        if (promptLength >= ids.Count) throw row.Error("completion", "has no tokens");
        return new GkdExample(ids, promptLength);
    }
}
