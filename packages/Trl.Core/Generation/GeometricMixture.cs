using Trl.Modeling;

namespace Trl.Generation;

/// <summary>Nash-MD's sampling distribution: next-token logits log_softmax(α·l_ref + (1 − α)·l_model), from the raw
/// logits of the generating model and of <paramref name="Reference"/> (each with its own KV cache), before temperature
/// and the other processors.</summary>
/// <param name="Reference">The reference model (may be the generating model itself, see <see cref="ReferenceDisablesAdapter"/>).</param>
/// <param name="Coefficient">α, the reference's weight (TRL's mixture_coef), in [0, 1].</param>
public sealed record GeometricMixture(CausalLM Reference, double Coefficient)
{
    /// <summary>Run the reference with its LoRA adapter disabled (the reference is the policy's base).</summary>
    public bool ReferenceDisablesAdapter { get; init; }
}
