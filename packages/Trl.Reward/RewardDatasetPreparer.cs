using Trl.Data;
using Trl.Tokenization;

namespace Trl.Reward;

/// <summary>Tokenizes preference rows as TRL's RewardTrainer does: EOS appended to text completions, the prompt
/// prepended, each whole sequence tokenized (conversations rendered whole with the chat template); pairs longer than
/// max_length are dropped and counted (TRL filters them out).</summary>
public class RewardDatasetPreparer(ITextTokenizer tokenizer, RewardConfig config) : DatasetPreparer<RewardExample>
{
    /// <inheritdoc />
    protected override IEnumerable<RewardExample> PrepareRow(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        IReadOnlyList<long> chosen, rejected;
        if (row.IsConversational("chosen"))
        {
            var prompt = row.Has("prompt") ? row.GetMessages("prompt") : Array.Empty<ChatMessage>();
            chosen = ChatRows.Render(row, "chosen", tokenizer, prompt.Concat(row.GetMessages("chosen")).ToList(), addGenerationPrompt: false).InputIds;
            rejected = ChatRows.Render(row, "rejected", tokenizer, prompt.Concat(row.GetMessages("rejected")).ToList(), addGenerationPrompt: false).InputIds;
        }
        else
        {
            string? eos = config.EosToken ?? tokenizer.Special.EosToken;
            string prompt = row.Has("prompt") ? row.GetString("prompt") : "";
            string c = row.GetString("chosen"), r = row.GetString("rejected");
            if (eos is not null)
            {
                if (!c.EndsWith(eos, StringComparison.Ordinal)) c += eos;
                if (!r.EndsWith(eos, StringComparison.Ordinal)) r += eos;
            }
            chosen = tokenizer.Encode(prompt + c);
            rejected = tokenizer.Encode(prompt + r);
        }
        if (config.MaxLength is int max && (chosen.Count > max || rejected.Count > max))
        {
            Drop();
            return Array.Empty<RewardExample>();
        }
        return new[] { new RewardExample(chosen, rejected) { Margin = row.GetOptionalNumber("margin") } };
    }
}
