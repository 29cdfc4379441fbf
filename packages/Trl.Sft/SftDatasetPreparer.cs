using Trl.Data;
using Trl.Kernels;
using Trl.Tokenization;

namespace Trl.Sft;

/// <summary>Turns dataset rows into tokenized SFT examples as TRL's SFTTrainer does: language-modeling rows
/// (<c>text</c>) or prompt/completion rows; the EOS text is appended; prompt tokens are marked for completion-only
/// loss; sequences are truncated to max_length.</summary>
public sealed class SftDatasetPreparer
{
    readonly ITextTokenizer _tokenizer;
    readonly SftConfig _config;
    readonly string? _eos;

    /// <summary>Creates a preparer.</summary>
    public SftDatasetPreparer(ITextTokenizer tokenizer, SftConfig config)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _eos = config.EosToken ?? tokenizer.Special.EosToken;
    }

    /// <summary>Tokenizes one row; errors name the row's file, row number and field.</summary>
    public TokenizedExample Prepare(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Has("prompt") && row.Has("completion"))
        {
            if (row.IsConversational("prompt") || row.IsConversational("completion"))
                throw row.Error("prompt", "is conversational; chat templates are not supported by this version of Trl.Sft yet");
            var prompt = row.GetString("prompt");
            var completion = WithEos(row.GetString("completion"));
            if (completion.Length == 0) throw row.Error("completion", "is empty");
            var promptIds = _tokenizer.Encode(prompt);
            var ids = _tokenizer.Encode(prompt + completion);
            var mask = Enumerable.Range(0, ids.Count).Select(i => i < promptIds.Count ? 0 : 1).ToArray();
            return Truncate(new TokenizedExample(ids) { CompletionMask = mask });
        }
        if (row.Has("messages") || row.IsConversational(_config.DatasetTextField))
            throw row.Error("messages", "is conversational; chat templates are not supported by this version of Trl.Sft yet");
        var text = row.GetString(_config.DatasetTextField);
        if (text.Length == 0) throw row.Error(_config.DatasetTextField, "is empty");
        return Truncate(new TokenizedExample(_tokenizer.Encode(WithEos(text))));
    }

    string WithEos(string s) => _eos is not null && !s.EndsWith(_eos, StringComparison.Ordinal) ? s + _eos : s;

    /// <summary>Packs prepared examples into max_length rows when packing is on (else returns them unchanged).</summary>
    public List<TokenizedExample> Pack(IReadOnlyList<TokenizedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!_config.Packing) return examples.ToList();
        int length = _config.MaxLength!.Value;
        return _config.PackingStrategy == "wrapped"
            ? Packing.Wrapped(examples, length)
            : Packing.BestFitDecreasing(examples, length, split: _config.PackingStrategy == "bfd_split");
    }

    TokenizedExample Truncate(TokenizedExample e)
    {
        // With packing, the packer truncates (bfd) or splits (bfd_split) rows itself.
        if (_config.Packing || _config.MaxLength is not int max || e.InputIds.Count <= max) return e;
        bool keepEnd = _config.TruncationMode == "keep_end";
        IReadOnlyList<T> Cut<T>(IReadOnlyList<T> x) => keepEnd ? Sequences.TruncateKeepEnd(x, max) : Sequences.TruncateKeepStart(x, max);
        return e with { InputIds = Cut(e.InputIds), CompletionMask = e.CompletionMask is null ? null : Cut(e.CompletionMask) };
    }
}
