using Trl.Data;
using Trl.Tokenization;

namespace Trl.Bco;

/// <summary>An unpaired example tokenized the legacy way: prompt+answer+EOS ids, labels −100 over the prompt.</summary>
public sealed record BcoExample(IReadOnlyList<long> PromptIds, IReadOnlyList<long> CompletionIds, IReadOnlyList<long> CompletionLabels, bool Label)
{
    /// <summary>Tokenizes a prompt/completion/label row (TRL's BCO _process_tokens): answer ids after the prompt's,
    /// cut so prompt + answer + the special tokens fit max_length, BOS prepended if the tokenizer has one, EOS appended.</summary>
    public static BcoExample Tokenize(DatasetRow row, ITextTokenizer tokenizer, int? maxLength)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (row.Values["label"] is not { } l || l.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
            throw row.Error("label", "must be true or false");
        string prompt = row.GetString("prompt"), completion = row.GetString("completion");
        if (completion.Length == 0) throw row.Error("completion", "is empty");
        var promptIds = tokenizer.Encode(prompt).ToList();
        var answer = tokenizer.Encode(prompt + completion).Skip(promptIds.Count).ToList();
        long eos = tokenizer.Special.EosTokenId ?? throw new InvalidOperationException("The tokenizer has no EOS token.");
        long? bos = tokenizer.Special.BosTokenId;
        if (maxLength is int max)
        {
            int room = max - (bos is not null ? 1 : 0) - 1 - promptIds.Count;
            if (answer.Count > room) answer = answer.Take(Math.Max(0, room)).ToList();
        }
        if (bos is long b && (promptIds.Count == 0 || promptIds[0] != b)) promptIds.Insert(0, b);
        var ids = promptIds.Concat(answer).Append(eos).ToArray();
        var labels = Enumerable.Repeat(-100L, promptIds.Count).Concat(answer).Append(eos).ToArray();
        return new BcoExample(promptIds, ids, labels, l.GetValue<bool>());
    }
}
