using Trl.Tokenization;

namespace Trl.Data;

/// <summary>TRL's preference-dataset helpers: implicit prompt extraction and tokenization of prompt/chosen/rejected.</summary>
public static class PreferenceRows
{
    /// <summary>Splits chosen/rejected texts that share a prompt into (prompt, chosen, rejected): the longest common
    /// prefix, backed off by one character when it ends right after a space (TRL's extract_prompt).</summary>
    public static (string Prompt, string Chosen, string Rejected) ExtractImplicitPrompt(string chosen, string rejected)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        int idx = 0;
        int n = Math.Min(chosen.Length, rejected.Length);
        while (idx < n && chosen[idx] == rejected[idx]) idx++;
        if (idx < n && idx > 0 && chosen[idx - 1] == ' ') idx--;
        return (chosen[..idx], chosen[idx..], rejected[idx..]);
    }

    /// <summary>Conversational pairs: the prompt rendered with the generation prompt; each completion's ids are the
    /// ids of the whole rendered conversation after the prompt's. Without a prompt column the shared leading
    /// messages are the prompt.</summary>
    static PreferenceExample TokenizeConversation(DatasetRow row, ITextTokenizer tokenizer)
    {
        IReadOnlyList<ChatMessage> prompt, chosen, rejected;
        if (row.Has("prompt")) (prompt, chosen, rejected) = (row.GetMessages("prompt"), row.GetMessages("chosen"), row.GetMessages("rejected"));
        else
        {
            var c = row.GetMessages("chosen");
            var r = row.GetMessages("rejected");
            int shared = 0;
            while (shared < Math.Min(c.Count, r.Count) - 1 && c[shared].ToJson().ToJsonString() == r[shared].ToJson().ToJsonString()) shared++;
            (prompt, chosen, rejected) = (c.Take(shared).ToList(), c.Skip(shared).ToList(), r.Skip(shared).ToList());
        }
        ChatTemplates.Rendered Render(string field, IReadOnlyList<ChatMessage> messages, bool generationPrompt) =>
            ChatRows.Render(row, field, tokenizer, messages, generationPrompt);
        var promptIds = Render("prompt", prompt, true).InputIds;
        var chosenIds = Render("chosen", prompt.Concat(chosen).ToList(), false).InputIds.Skip(promptIds.Count).ToArray();
        var rejectedIds = Render("rejected", prompt.Concat(rejected).ToList(), false).InputIds.Skip(promptIds.Count).ToArray();
        if (chosenIds.Length == 0) throw row.Error("chosen", "renders to no completion token");
        if (rejectedIds.Length == 0) throw row.Error("rejected", "renders to no completion token");
        return new PreferenceExample(promptIds, chosenIds, rejectedIds);
    }

    /// <summary>Reads prompt/chosen/rejected from a row (extracting an implicit prompt when there is none), appends
    /// the EOS text to both completions and tokenizes as TRL's DPO does: completion ids are the tokens of
    /// prompt+completion after the prompt's tokens.</summary>
    public static PreferenceExample Tokenize(DatasetRow row, ITextTokenizer tokenizer, string? eosToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (row.IsConversational("chosen")) return TokenizeConversation(row, tokenizer);
        string prompt, chosen, rejected;
        if (row.Has("prompt")) (prompt, chosen, rejected) = (row.GetString("prompt"), row.GetString("chosen"), row.GetString("rejected"));
        else (prompt, chosen, rejected) = ExtractImplicitPrompt(row.GetString("chosen"), row.GetString("rejected"));
        if (chosen.Length == 0) throw row.Error("chosen", "is empty");
        if (rejected.Length == 0) throw row.Error("rejected", "is empty");
        if (eosToken is not null)
        {
            if (!chosen.EndsWith(eosToken, StringComparison.Ordinal)) chosen += eosToken;
            if (!rejected.EndsWith(eosToken, StringComparison.Ordinal)) rejected += eosToken;
        }
        var promptIds = tokenizer.Encode(prompt);
        IReadOnlyList<long> After(string completion) => tokenizer.Encode(prompt + completion).Skip(promptIds.Count).ToArray();
        return new PreferenceExample(promptIds, After(chosen), After(rejected));
    }
}
