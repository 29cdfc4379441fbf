using Trl.Data;
using Trl.Tokenization;

namespace Trl.Reward;

/// <summary>Tokenizes preference rows as TRL's RewardTrainer does: EOS appended, prompt prepended, each whole
/// sequence tokenized; rows longer than max_length are dropped and counted.</summary>
public sealed class RewardDatasetPreparer(ITextTokenizer tokenizer, RewardConfig config)
{
    /// <summary>Rows dropped for exceeding max_length.</summary>
    public int Dropped { get; private set; }

    /// <summary>Tokenizes rows, leaving out the over-long ones.</summary>
    public IReadOnlyList<PreferenceExample> Prepare(IEnumerable<DatasetRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        string? eos = config.EosToken ?? tokenizer.Special.EosToken;
        var result = new List<PreferenceExample>();
        foreach (var row in rows)
        {
            if (row.IsConversational("chosen"))
            {
                // Conversations are rendered whole with the chat template (no generation prompt), as TRL does.
                var promptMessages = row.Has("prompt") ? row.GetMessages("prompt") : Array.Empty<ChatMessage>();
                var cIds = Render(row, "chosen", promptMessages.Concat(row.GetMessages("chosen")).ToList());
                var rIds = Render(row, "rejected", promptMessages.Concat(row.GetMessages("rejected")).ToList());
                if (config.MaxLength is int limit && (cIds.Count > limit || rIds.Count > limit)) { Dropped++; continue; }
                result.Add(new PreferenceExample(Array.Empty<long>(), cIds, rIds) { Margin = row.Values["margin"] is { } cm ? cm.GetValue<double>() : null });
                continue;
            }
            string prompt = row.Has("prompt") ? row.GetString("prompt") : "";
            string chosen = row.GetString("chosen"), rejected = row.GetString("rejected");
            if (eos is not null)
            {
                if (!chosen.EndsWith(eos, StringComparison.Ordinal)) chosen += eos;
                if (!rejected.EndsWith(eos, StringComparison.Ordinal)) rejected += eos;
            }
            var c = tokenizer.Encode(prompt + chosen);
            var r = tokenizer.Encode(prompt + rejected);
            if (config.MaxLength is int max && (c.Count > max || r.Count > max)) { Dropped++; continue; }
            result.Add(new PreferenceExample(Array.Empty<long>(), c, r)
            {
                Margin = row.Values["margin"] is { } m ? m.GetValue<double>() : null,
            });
        }
        return result;
    }

    IReadOnlyList<long> Render(DatasetRow row, string field, IReadOnlyList<ChatMessage> messages) =>
        ChatTemplates.ApplyToRow(tokenizer, messages, addGenerationPrompt: false, row, field).InputIds;
}
