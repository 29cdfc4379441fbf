using Trl.Data;
using Trl.Tokenization;

namespace Trl.Bco;

/// <summary>Tokenizes prompt/completion/label rows as TRL's BCOTrainer (_process_tokens): answer ids after the
/// prompt's, cut so prompt + answer + the special tokens fit max_length, BOS prepended if the tokenizer has one, EOS
/// appended, labels −100 over the prompt.</summary>
public class BcoDatasetPreparer(ITextTokenizer tokenizer, BcoConfig config) : DatasetPreparer<BcoExample>
{
    /// <inheritdoc />
    protected override IEnumerable<BcoExample> PrepareRow(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        bool label = row.GetBool("label");
        string prompt = row.GetString("prompt"), completion = row.GetString("completion");
        if (completion.Length == 0) throw row.Error("completion", "is empty");
        var promptIds = tokenizer.Encode(prompt).ToList();
        var answer = tokenizer.Encode(prompt + completion).Skip(promptIds.Count).ToList();
        long eos = tokenizer.Special.EosTokenId ?? throw new InvalidOperationException("The tokenizer has no EOS token.");
        long? bos = tokenizer.Special.BosTokenId;
        if (config.MaxLength is int max)
        {
            int room = max - (bos is not null ? 1 : 0) - 1 - promptIds.Count;
            if (answer.Count > room) answer = answer.Take(Math.Max(0, room)).ToList();
        }
        if (bos is long b && (promptIds.Count == 0 || promptIds[0] != b)) promptIds.Insert(0, b);
        var ids = promptIds.Concat(answer).Append(eos).ToArray();
        var labels = Enumerable.Repeat(-100L, promptIds.Count).Concat(answer).Append(eos).ToArray();
        return new[] { new BcoExample(promptIds, ids, labels, label) };
    }
}
