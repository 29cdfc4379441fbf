using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Training;

/// <summary>AdamW with PyTorch's math (the same update as torch.optim.AdamW, fused or not):
/// p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
/// State is created lazily and each parameter is updated in its own dispose scope, so temporaries never pile up.
/// Mixed precision: a parameter given an fp32 master copy (<see cref="SetMasters"/>) is updated in fp32 — master,
/// gradient and moments — and the half-precision parameter receives the rounded master after each step.</summary>
internal sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Parameter, bool Decay)> _params;
    readonly Dictionary<string, (Tensor M, Tensor V)> _state = new(StringComparer.Ordinal);
    readonly Dictionary<string, Tensor> _masters = new(StringComparer.Ordinal);

    /// <summary>fp32 master weights by parameter name (empty without mixed precision).</summary>
    public IReadOnlyDictionary<string, Tensor> Masters => _masters;

    /// <summary>Keeps fp32 copies of the given parameters' values (taken before the model is cast to half precision).</summary>
    public void SetMasters(IEnumerable<(string Name, Tensor Value)> masters)
    {
        ArgumentNullException.ThrowIfNull(masters);
        using var noGrad = no_grad();
        foreach (var (name, value) in masters)
        {
            if (_masters.Remove(name, out var old)) old.Dispose();
            _masters[name] = value.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope();
        }
    }

    /// <summary>Creates the optimizer over named parameters; <c>Decay</c> false exempts a parameter from weight decay.</summary>
    public AdamW(IReadOnlyList<(string Name, Parameter Parameter, bool Decay)> parameters, double beta1, double beta2, double eps, double weightDecay)
    {
        _params = parameters ?? throw new ArgumentNullException(nameof(parameters));
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
    }

    /// <summary>Hyper-parameters.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }
    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }
    /// <summary>Steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one update at learning rate <paramref name="lr"/> to every parameter that has a gradient.</summary>
    public void Step(double lr)
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        using var noGrad = no_grad();
        foreach (var (name, p, decay) in _params)
        {
            using var scope = NewDisposeScope();
            var g = p.grad;
            if (g is null) continue;
            _masters.TryGetValue(name, out var master);
            var target = master ?? (Tensor)p;
            if (master is not null) g = g.to_type(ScalarType.Float32);
            if (!_state.TryGetValue(name, out var s))
            {
                s = (zeros_like(target).DetachFromDisposeScope(), zeros_like(target).DetachFromDisposeScope());
                _state[name] = s;
            }
            if (decay && WeightDecay != 0) target.mul_(1 - lr * WeightDecay);
            s.M.mul_(Beta1).add_(g, alpha: 1 - Beta1);
            s.V.mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = s.V.sqrt().div_(bc2Sqrt).add_(Eps);
            target.addcdiv_(s.M, denom, value: -lr / bc1);
            if (master is not null) p.copy_(master);
        }
    }

    /// <summary>The moments by parameter name (for checkpoints): "<c>name.exp_avg</c>" and "<c>name.exp_avg_sq</c>".</summary>
    public Dictionary<string, Tensor> StateTensors() =>
        _state.SelectMany(kv => new[] { (kv.Key + ".exp_avg", kv.Value.M), (kv.Key + ".exp_avg_sq", kv.Value.V) })
              .Concat(_masters.Select(kv => (kv.Key + ".master", kv.Value)))
              .ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>Restores moments and the step count saved by <see cref="StateTensors"/>.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, long stepCount)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (name, p, _) in _params)
        {
            bool mixed = _masters.TryGetValue(name, out var master);
            if (mixed && tensors.TryGetValue(name + ".master", out var saved))
                using (no_grad()) master!.copy_(saved.to(ScalarType.Float32, p.device));
            if (!tensors.TryGetValue(name + ".exp_avg", out var m) || !tensors.TryGetValue(name + ".exp_avg_sq", out var v)) continue;
            var stateType = mixed ? ScalarType.Float32 : p.dtype;
            _state[name] = (m.to(stateType, p.device).clone().DetachFromDisposeScope(), v.to(stateType, p.device).clone().DetachFromDisposeScope());
        }
        StepCount = stepCount;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (m, v) in _state.Values) { m.Dispose(); v.Dispose(); }
        _state.Clear();
        foreach (var t in _masters.Values) t.Dispose();
        _masters.Clear();
    }
}
