using Trl.Data;
using Trl.Kernels;
using Trl.Tokenization;

namespace Trl.Sft;

/// <summary>Turns dataset rows into SFT examples as TRL's SFTTrainer does: language-modeling rows (<c>text</c> or
/// <c>messages</c>) or prompt/completion rows (text or conversations); the EOS text is appended to plain text; prompt
/// tokens are marked for completion-only loss; sequences are truncated to max_length, or packed into max_length rows
/// (block by block of <see cref="PackingBlockSize"/> rows, as TRL's datasets.map does).</summary>
public class SftDatasetPreparer : DatasetPreparer<SftExample>
{
    readonly ITextTokenizer _tokenizer;
    readonly SftConfig _config;
    readonly string? _eos;

    /// <summary>TRL packs with <c>datasets.map(batched=True)</c>, whose default batch is 1,000 rows: rows are packed
    /// within each block of 1,000 examples, never across blocks (the last wrapped row of a block is short).</summary>
    public const int PackingBlockSize = 1000;

    /// <summary>Creates a preparer.</summary>
    public SftDatasetPreparer(ITextTokenizer tokenizer, SftConfig config)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _eos = config.EosToken ?? tokenizer.Special.EosToken;
    }

    /// <inheritdoc />
    protected override IEnumerable<SftExample> PrepareRow(DatasetRow row) => new[] { Tokenize(row) };

    /// <summary>Tokenizes one row (no packing); errors name the row's file, row number and field.</summary>
    public virtual SftExample Tokenize(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Has("prompt") && row.Has("completion") && row.IsConversational("prompt"))
        {
            var promptMessages = row.GetMessages("prompt");
            var promptIds = ChatRows.Render(row, "prompt", _tokenizer, promptMessages, addGenerationPrompt: true).InputIds;
            var full = ChatRows.Render(row, "completion", _tokenizer, promptMessages.Concat(row.GetMessages("completion")).ToList(), addGenerationPrompt: false);
            var mask = Enumerable.Range(0, full.InputIds.Count).Select(i => i < promptIds.Count ? 0 : 1).ToArray();
            return Checked(row, "completion", Truncate(new SftExample(full.InputIds) { CompletionMask = mask, AssistantMask = AssistantMask(row, "completion", full) }));
        }
        if (row.Has("messages"))
        {
            var full = ChatRows.Render(row, "messages", _tokenizer, row.GetMessages("messages"), addGenerationPrompt: false);
            return Checked(row, "messages", Truncate(new SftExample(full.InputIds) { AssistantMask = AssistantMask(row, "messages", full) }));
        }
        if (row.Has("prompt") || row.Has("completion"))
        {
            var prompt = row.GetString("prompt");
            var completion = WithEos(row.GetString("completion"));
            if (completion.Length == 0) throw row.Error("completion", "is empty");
            var promptIds = _tokenizer.Encode(prompt);
            var ids = _tokenizer.Encode(prompt + completion);
            var mask = Enumerable.Range(0, ids.Count).Select(i => i < promptIds.Count ? 0 : 1).ToArray();
            return Checked(row, "completion", Truncate(new SftExample(ids) { CompletionMask = mask }));
        }
        var text = row.GetString(_config.DatasetTextField);
        if (text.Length == 0) throw row.Error(_config.DatasetTextField, "is empty");
        return Truncate(new SftExample(_tokenizer.Encode(WithEos(text))));
    }

    /// <summary>Packs the examples when packing is on.</summary>
    protected override List<SftExample> Complete(List<SftExample> examples) => Pack(examples);

    IReadOnlyList<int>? AssistantMask(DatasetRow row, string field, ChatTemplates.Rendered rendered)
    {
        if (!_config.AssistantOnlyLoss) return null;
        if (!rendered.HasGenerationBlocks)
            throw new InvalidOperationException("assistant_only_loss needs a chat template with {% generation %} markers; this tokenizer's template has none.");
        if (!rendered.AssistantMask.Contains(1)) throw row.Error(field, "has no assistant token (assistant_only_loss)");
        return rendered.AssistantMask;
    }

    /// <summary>TRL drops examples with no label left after masking and truncation; here that is a bad row
    /// (an error, or a counted skip with bad_rows: skip), never a silent drop.</summary>
    SftExample Checked(DatasetRow row, string field, SftExample e)
    {
        bool completionOnly = _config.CompletionOnlyLoss ?? true;
        bool any = Enumerable.Range(0, e.InputIds.Count).Any(i =>
            (!completionOnly || e.CompletionMask is null || e.CompletionMask[i] != 0) && (e.AssistantMask is null || e.AssistantMask[i] != 0));
        return any ? e : throw row.Error(field, $"leaves no token to learn from after max_length={_config.MaxLength} truncation (TRL drops such rows; set bad_rows: skip to do the same)");
    }

    string WithEos(string s) => _eos is not null && !s.EndsWith(_eos, StringComparison.Ordinal) ? s + _eos : s;

    /// <summary>Packs prepared examples into max_length rows when packing is on (else returns them unchanged), block by
    /// block of <see cref="PackingBlockSize"/> examples as TRL does.</summary>
    public List<SftExample> Pack(IReadOnlyList<SftExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!_config.Packing) return examples.ToList();
        int length = _config.MaxLength!.Value;
        var rows = new List<SftExample>();
        foreach (var block in examples.Chunk(PackingBlockSize))
            rows.AddRange(_config.PackingStrategy == "wrapped"
                ? Packing.Wrapped(block, length)
                : Packing.BestFitDecreasing(block, length, split: _config.PackingStrategy == "bfd_split"));
        return rows;
    }

    SftExample Truncate(SftExample e)
    {
        // With packing, the packer truncates (bfd) or splits (bfd_split) rows itself.
        if (_config.Packing || _config.MaxLength is not int max || e.InputIds.Count <= max) return e;
        bool keepEnd = _config.TruncationMode == "keep_end";
        IReadOnlyList<T> Cut<T>(IReadOnlyList<T> x) => keepEnd ? Sequences.TruncateKeepEnd(x, max) : Sequences.TruncateKeepStart(x, max);
        return e with { InputIds = Cut(e.InputIds), CompletionMask = e.CompletionMask is null ? null : Cut(e.CompletionMask) };
    }
}
