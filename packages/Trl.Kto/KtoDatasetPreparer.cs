using Trl.Data;
using Trl.Tokenization;

namespace Trl.Kto;

/// <summary>Unpaired rows (prompt, completion, label) — or preference pairs, unpaired into a desirable and an
/// undesirable row — tokenized as TRL's KTOTrainer, with KL completions rotated by one within each block of
/// per_device_train_batch_size rows. Rows whose prompt alone reaches max_length are dropped (and counted), as TRL does.</summary>
public class KtoDatasetPreparer(ITextTokenizer tokenizer, KtoConfig config) : DatasetPreparer<KtoExample>
{
    /// <inheritdoc />
    protected override IEnumerable<KtoExample> PrepareRow(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var examples = Tokenize(row);
        var kept = examples.Where(e => config.MaxLength is not int max || e.PromptIds.Count < max).ToList();
        if (kept.Count < examples.Count) Drop();
        return kept;
    }

    /// <summary>Pairs each example with the completion of its neighbour in the same batch block (TRL's KL dataset).</summary>
    protected override List<KtoExample> Complete(List<KtoExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int block = config.PerDeviceTrainBatchSize;
        var result = new List<KtoExample>(examples.Count);
        for (int start = 0; start < examples.Count; start += block)
        {
            int n = Math.Min(block, examples.Count - start);
            for (int i = 0; i < n; i++)
                result.Add(examples[start + i] with { KlCompletionIds = examples[start + (i + n - 1) % n].CompletionIds });
        }
        return result;
    }

    IReadOnlyList<KtoExample> Tokenize(DatasetRow row)
    {
        string? eos = tokenizer.Special.EosToken;
        if (row.Has("chosen") && row.Has("rejected"))
        {
            var pair = PreferenceRows.Tokenize(row, tokenizer, eos);
            return new[] { new KtoExample(pair.PromptIds, pair.ChosenIds, true), new KtoExample(pair.PromptIds, pair.RejectedIds, false) };
        }
        bool label = row.GetBool("label");
        var prompt = row.GetString("prompt");
        var completion = row.GetString("completion");
        if (completion.Length == 0) throw row.Error("completion", "is empty");
        if (eos is not null && !completion.EndsWith(eos, StringComparison.Ordinal)) completion += eos;
        var promptIds = tokenizer.Encode(prompt);
        var ids = tokenizer.Encode(prompt + completion).Skip(promptIds.Count).ToArray();
        return new[] { new KtoExample(promptIds, ids, label) };
    }
}
