namespace Trl.Kernels;

/// <summary>Which side of a sequence padding goes on.</summary>
public enum PaddingSide
{
    /// <summary>Pad after the tokens (training batches).</summary>
    Right,
    /// <summary>Pad before the tokens (generation prompts).</summary>
    Left,
}
