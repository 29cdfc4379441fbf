namespace Trl.Tokenization;

/// <summary>Special tokens (text and id) as tokenizer_config.json names them.</summary>
public sealed record SpecialTokens
{
    /// <summary>Padding token.</summary>
    public string? PadToken { get; init; }
    /// <summary>Padding id.</summary>
    public long? PadTokenId { get; init; }
    /// <summary>End-of-sequence token.</summary>
    public string? EosToken { get; init; }
    /// <summary>End-of-sequence id.</summary>
    public long? EosTokenId { get; init; }
    /// <summary>Beginning-of-sequence token.</summary>
    public string? BosToken { get; init; }
    /// <summary>Beginning-of-sequence id.</summary>
    public long? BosTokenId { get; init; }
    /// <summary>Unknown token.</summary>
    public string? UnkToken { get; init; }
    /// <summary>Unknown token id.</summary>
    public long? UnkTokenId { get; init; }
}
