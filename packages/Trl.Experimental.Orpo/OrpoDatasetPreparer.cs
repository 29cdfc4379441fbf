using Trl.Data;
using Trl.Shared;
using Trl.Tokenization;

namespace Trl.Orpo;

/// <summary>Tokenizes preference rows (prompt/chosen/rejected, or chosen/rejected with an implicit prompt) as TRL's
/// ORPOTrainer: answers after the prompt's tokens, BOS/EOS added, both answers cut to fit max_length.</summary>
public class OrpoDatasetPreparer(ITextTokenizer tokenizer, OrpoConfig config) : DatasetPreparer<OrpoExample>
{
    /// <inheritdoc />
    protected override IEnumerable<OrpoExample> PrepareRow(DatasetRow row)
    {
        var t = PairedPreferenceTokens.Tokenize(row, tokenizer, config.MaxLength);
        return new[] { new OrpoExample(t.PromptIds, t.ChosenIds, t.ChosenLabels, t.RejectedIds, t.RejectedLabels) };
    }
}
