namespace Trl.Generation;

/// <summary>Sampling settings, named after transformers' GenerationConfig.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most new tokens per sequence.</summary>
    public int MaxNewTokens { get; init; } = 20;
    /// <summary>Sample (true) or take the argmax (false).</summary>
    public bool DoSample { get; init; } = true;
    /// <summary>Softmax temperature (sampling only).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep the k most likely tokens; 0 = off.</summary>
    public int TopK { get; init; }
    /// <summary>Nucleus sampling mass; 1 = off.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Drop tokens below min_p × the top probability; null = off.</summary>
    public double? MinP { get; init; }
    /// <summary>CTRL repetition penalty; 1 = off.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Sequences per prompt.</summary>
    public int NumReturnSequences { get; init; } = 1;
    /// <summary>Ids that end a sequence; empty = never stop early.</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = Array.Empty<long>();
    /// <summary>Id used for left padding and for positions after EOS.</summary>
    public long PadTokenId { get; init; }
    /// <summary>Seed for reproducible sampling; null = nondeterministic.</summary>
    public long? Seed { get; init; }
    /// <summary>Sample from the geometric mixture of this model and a reference (Nash-MD); null = the model alone.</summary>
    public GeometricMixture? Mixture { get; init; }
}
