using Trl.Data;
using Trl.Tokenization;

namespace Trl.Kto;

/// <summary>Unpaired rows (prompt, completion, label) — or preference pairs, unpaired into a desirable and an
/// undesirable row — tokenized as TRL's KTOTrainer, with KL completions rotated by one within each block of
/// per_device_train_batch_size rows.</summary>
public sealed class KtoDatasetPreparer(ITextTokenizer tokenizer, KtoConfig config)
{
    /// <summary>Rows dropped because the prompt alone reaches max_length.</summary>
    public int Dropped { get; private set; }

    /// <summary>Tokenizes all rows and assigns KL completions.</summary>
    public List<KtoExample> Prepare(IEnumerable<DatasetRow> rows, BadRowPolicy policy = BadRowPolicy.Error)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var unpaired = DatasetLoader.PrepareAll(rows, Tokenize, policy, null, out _).SelectMany(x => x).ToList();
        var kept = unpaired.Where(e => config.MaxLength is not int max || e.PromptIds.Count < max).ToList();
        Dropped = unpaired.Count - kept.Count;
        int block = config.PerDeviceTrainBatchSize;
        var result = new List<KtoExample>(kept.Count);
        for (int start = 0; start < kept.Count; start += block)
        {
            int n = Math.Min(block, kept.Count - start);
            for (int i = 0; i < n; i++)
                result.Add(kept[start + i] with { KlCompletionIds = kept[start + (i + n - 1) % n].CompletionIds });
        }
        return result;
    }

    IEnumerable<KtoExample> Tokenize(DatasetRow row)
    {
        string? eos = tokenizer.Special.EosToken;
        if (row.Has("chosen") && row.Has("rejected"))
        {
            var pair = PreferenceRows.Tokenize(row, tokenizer, eos);
            return new[] { new KtoExample(pair.PromptIds, pair.ChosenIds, true), new KtoExample(pair.PromptIds, pair.RejectedIds, false) };
        }
        if (row.Values["label"] is not { } labelNode || labelNode.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
            throw row.Error("label", "must be true or false");
        var prompt = row.GetString("prompt");
        var completion = row.GetString("completion");
        if (completion.Length == 0) throw row.Error("completion", "is empty");
        if (eos is not null && !completion.EndsWith(eos, StringComparison.Ordinal)) completion += eos;
        var promptIds = tokenizer.Encode(prompt);
        var ids = tokenizer.Encode(prompt + completion).Skip(promptIds.Count).ToArray();
        return new[] { new KtoExample(promptIds, ids, labelNode.GetValue<bool>()) };
    }
}
