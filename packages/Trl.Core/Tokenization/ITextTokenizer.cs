namespace Trl.Tokenization;

/// <summary>What trainers need from a tokenizer: ids in, ids out, and the special tokens of tokenizer_config.json.</summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/> (special-token text inside it maps to its id; nothing is added).</summary>
    IReadOnlyList<long> Encode(string text);

    /// <summary>Token ids with the character span [Start, End) each token came from (for chat-template masks).</summary>
    IReadOnlyList<(long Id, int Start, int End)> EncodeWithOffsets(string text);

    /// <summary>Text of <paramref name="ids"/>.</summary>
    string Decode(IEnumerable<long> ids, bool skipSpecialTokens = false);

    /// <summary>Number of ids (including added tokens).</summary>
    int VocabSize { get; }

    /// <summary>The special tokens.</summary>
    SpecialTokens Special { get; }

    /// <summary>The (default) Jinja chat template of tokenizer_config.json or chat_template.jinja, if any.</summary>
    string? ChatTemplate { get; }

    /// <summary>Other named templates (tokenizer_config.json's list form, additional_chat_templates/*.jinja), by name.</summary>
    IReadOnlyDictionary<string, string> NamedChatTemplates => new Dictionary<string, string>();
}
