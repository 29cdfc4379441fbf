using Trl.Data;
using Trl.Tokenization;

namespace Trl.Dpo;

/// <summary>Turns preference rows into DPO pairs as TRL's DPOTrainer does: prompt/chosen/rejected (text or
/// conversations; an implicit prompt is extracted when there is none), EOS appended to text completions, completion
/// ids taken after the prompt's tokens (see <see cref="PreferenceRows.Tokenize"/>).</summary>
public class DpoDatasetPreparer(ITextTokenizer tokenizer, DpoConfig config) : DatasetPreparer<PreferenceExample>
{
    /// <summary>The tokenizer.</summary>
    protected ITextTokenizer Tokenizer { get; } = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    /// <summary>The configuration.</summary>
    protected DpoConfig Config { get; } = config ?? throw new ArgumentNullException(nameof(config));

    /// <inheritdoc />
    protected override IEnumerable<PreferenceExample> PrepareRow(DatasetRow row) =>
        new[] { PreferenceRows.Tokenize(row, Tokenizer, Tokenizer.Special.EosToken) };
}
