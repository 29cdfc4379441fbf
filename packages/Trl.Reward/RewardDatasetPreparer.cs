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
            foreach (var f in new[] { "prompt", "chosen", "rejected" })
                if (row.IsConversational(f)) throw row.Error(f, "is conversational; chat templates are not supported by this version yet");
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
}
