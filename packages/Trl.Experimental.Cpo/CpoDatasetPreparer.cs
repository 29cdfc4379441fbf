using Trl.Data;
using Trl.Shared;
using Trl.Tokenization;

namespace Trl.Cpo;

/// <summary>Tokenizes preference rows (prompt/chosen/rejected, or chosen/rejected with an implicit prompt) as TRL's
/// CPOTrainer: answers after the prompt's tokens, BOS/EOS added, both answers cut to fit max_length.</summary>
public class CpoDatasetPreparer(ITextTokenizer tokenizer, CpoConfig config) : DatasetPreparer<CpoExample>
{
    /// <inheritdoc />
    protected override IEnumerable<CpoExample> PrepareRow(DatasetRow row)
    {
        var t = PairedPreferenceTokens.Tokenize(row, tokenizer, config.MaxLength);
        return new[] { new CpoExample(t.PromptIds, t.ChosenIds, t.ChosenLabels, t.RejectedIds, t.RejectedLabels) };
    }
}
