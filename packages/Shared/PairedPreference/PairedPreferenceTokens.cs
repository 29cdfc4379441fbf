using Trl.Data;
using Trl.Tokenization;

namespace Trl.Shared;

/// <summary>A preference pair tokenized the legacy way (TRL's CPO/ORPO tokenize_row): prompt ids, and prompt+answer ids
/// for chosen and rejected with labels that are −100 over the prompt; the EOS id is appended to each answer.</summary>
internal sealed record PairedPreferenceTokens(IReadOnlyList<long> PromptIds, IReadOnlyList<long> ChosenIds, IReadOnlyList<long> ChosenLabels,
    IReadOnlyList<long> RejectedIds, IReadOnlyList<long> RejectedLabels)
{
    /// <summary>Tokenizes a preference row: answers are the tokens of prompt+answer after the prompt's, BOS is
    /// prepended when the tokenizer has one, EOS id appended, and both answers cut when prompt + the longer answer
    /// exceed <paramref name="maxLength"/> (TRL's formula).</summary>
    public static PairedPreferenceTokens Tokenize(DatasetRow row, ITextTokenizer tokenizer, int? maxLength)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var pair = PreferenceRows.Tokenize(row, tokenizer, eosToken: null);
        var prompt = pair.PromptIds.ToList();
        if (tokenizer.Special.BosTokenId is long bos && (prompt.Count == 0 || prompt[0] != bos)) prompt.Insert(0, bos);
        long eos = tokenizer.Special.EosTokenId ?? throw new InvalidOperationException("The tokenizer has no EOS token.");
        List<long> WithEos(IReadOnlyList<long> a) { var l = a.ToList(); if (l.Count == 0 || l[^1] != eos) l.Add(eos); return l; }
        var chosen = WithEos(pair.ChosenIds);
        var rejected = WithEos(pair.RejectedIds);
        int longer = Math.Max(chosen.Count, rejected.Count);
        if (maxLength is int max && prompt.Count + longer > max)
        {
            int keep = Math.Max(0, max - longer);   // TRL's formula, kept as is
            chosen = chosen.Take(keep).ToList();
            rejected = rejected.Take(keep).ToList();
        }
        IReadOnlyList<long> Labels(List<long> a) => Enumerable.Repeat(-100L, prompt.Count).Concat(a).ToArray();
        return new PairedPreferenceTokens(prompt, prompt.Concat(chosen).ToArray(), Labels(chosen), prompt.Concat(rejected).ToArray(), Labels(rejected));
    }
}
