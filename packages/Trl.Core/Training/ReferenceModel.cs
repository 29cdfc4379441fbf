using Trl.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>The frozen reference policy of DPO, KTO, GRPO and the online trainers, in one place: a separately loaded
/// copy of the starting weights (frozen here) — or, when the policy trains a PEFT adapter and no copy is given, the
/// policy itself with the adapter disabled (TRL's choice: no second copy of the weights) — with TR-DPO's sync towards
/// the policy, and TRL's precomputation of reference log-probs over a whole dataset.</summary>
public sealed class ReferenceModel
{
    ReferenceModel(CausalLM model, bool disablesAdapter)
    {
        Model = model;
        DisablesAdapter = disablesAdapter;
    }

    /// <summary>The reference model (the policy itself when <see cref="DisablesAdapter"/>).</summary>
    public CausalLM Model { get; }

    /// <summary>The reference is the policy's base: its adapter is disabled for every reference pass.</summary>
    public bool DisablesAdapter { get; }

    /// <summary>The base of a policy that trains an adapter, used as its reference (adapter disabled in each pass).</summary>
    public static ReferenceModel AdapterDisabled(CausalLM policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Adapter is null) throw new ArgumentException("The policy has no adapter to disable.", nameof(policy));
        return new ReferenceModel(policy, disablesAdapter: true);
    }

    /// <summary>A separately loaded reference: put in eval mode with gradients off for good.</summary>
    public static ReferenceModel Frozen(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Freeze();
        return new ReferenceModel(model, disablesAdapter: false);
    }

    /// <summary>The reference of a trainer: <paramref name="reference"/> frozen; with none, the adapter-disabled policy
    /// when it trains an adapter, else null (the trainer then precomputes, or does without at beta 0).
    /// <paramref name="reference"/> must not be the policy itself.</summary>
    public static ReferenceModel? Resolve(CausalLM policy, CausalLM? reference)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (ReferenceEquals(policy, reference))
            throw new ArgumentException("The reference model must be a separate copy of the starting weights, not the policy itself.", nameof(reference));
        if (reference is not null)
        {
            // The reference lives where the policy trains.
            if (!TrainingDevice.Same(reference.Device, policy.Device)) reference.to(policy.Device);
            return Frozen(reference);
        }
        return policy.Adapter is not null ? AdapterDisabled(policy) : null;
    }

    /// <summary>Runs a scoring pass through the reference without gradients (with the policy's adapter disabled when
    /// the reference is the policy's base).</summary>
    public T Score<T>(Func<CausalLM, T> pass)
    {
        ArgumentNullException.ThrowIfNull(pass);
        using var noGrad = no_grad();
        using var baseOnly = DisablesAdapter ? Model.Adapter?.Disable() : null;
        return pass(Model);
    }

    /// <summary>TR-DPO's update (sync_ref_model): every <paramref name="everySteps"/> optimizer steps
    /// θ_ref ← α·θ + (1 − α)·θ_ref. Returns the callback to add to the trainer. Not available when the reference is
    /// the adapter-disabled policy (as in TRL).</summary>
    public ITrainerCallback SyncWith(CausalLM policy, double alpha, int everySteps) => DisablesAdapter
        ? throw new NotSupportedException("sync_ref_model is not supported when the reference is the policy with its PEFT adapter disabled (TRL refuses it too); pass a separate reference model.")
        : new ReferenceModelSync(policy, Model, alpha, everySteps);

    /// <summary>TRL's precompute_ref_log_probs: <paramref name="scoreBatch"/> ([B] examples → [B, K] log-probs) over the
    /// whole dataset once, in batches, in eval mode without gradients; returns the K values of each example.</summary>
    public static Dictionary<TExample, float[]> Precompute<TExample>(PretrainedModel model, IReadOnlyList<TExample> examples, int batchSize,
        Func<IReadOnlyList<TExample>, Tensor> scoreBatch) where TExample : class
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(scoreBatch);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new Dictionary<TExample, float[]>(ReferenceEqualityComparer.Instance as IEqualityComparer<TExample>);
        using var evaluationMode = model.EvaluationMode();
        using var noGrad = no_grad();
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = examples.Skip(start).Take(batchSize).ToList();
            var values = scoreBatch(chunk).to_type(ScalarType.Float32).cpu();
            long k = values.shape[1];
            var flat = values.data<float>().ToArray();
            for (int i = 0; i < chunk.Count; i++) result[chunk[i]] = flat.AsSpan(i * (int)k, (int)k).ToArray();
        }
        return result;
    }
}
