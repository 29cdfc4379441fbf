using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>TR-DPO's reference-model update (TRL's SyncRefModelCallback, sync_ref_model): every
/// <c>ref_model_sync_steps</c> optimizer steps the frozen reference moves towards the policy,
/// θ_ref ← α·θ + (1 − α)·θ_ref with α = <c>ref_model_mixup_alpha</c>. Parameters are paired by name.</summary>
internal sealed class ReferenceModelSync : ITrainerCallback
{
    readonly List<(Tensor Policy, Tensor Reference)> _pairs;
    readonly double _alpha;
    readonly int _every;

    /// <summary>Pairs the parameters of <paramref name="policy"/> and <paramref name="reference"/> (same architecture).</summary>
    public ReferenceModelSync(Modeling.PretrainedModel policy, Modeling.PretrainedModel reference, double alpha, int everySteps)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(reference);
        if (alpha is < 0 or > 1) throw new ArgumentException($"ref_model_mixup_alpha must be in [0, 1] (got {alpha}).");
        if (everySteps < 1) throw new ArgumentException($"ref_model_sync_steps must be ≥ 1 (got {everySteps}).");
        var referenceParameters = reference.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter, StringComparer.Ordinal);
        _pairs = policy.NamedParameters().Select(p => ((Tensor)p.Parameter,
            referenceParameters.TryGetValue(p.Name, out var r) ? r : throw new ArgumentException($"The reference model has no parameter {p.Name}."))).ToList();
        _alpha = alpha;
        _every = everySteps;
    }

    /// <inheritdoc />
    public void OnStepEnd(TrainerState state, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.GlobalStep % _every != 0) return;
        using var noGrad = no_grad();
        foreach (var (p, r) in _pairs) r.mul_(1.0 - _alpha).add_(p.to(r.dtype), alpha: _alpha);
    }
}
