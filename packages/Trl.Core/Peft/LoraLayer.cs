using TorchSharp;
using TorchSharp.Modules;
using Trl.Modeling;
using static TorchSharp.torch;

namespace Trl.Peft;

#pragma warning disable IDE1006, CA1051 // field names are peft's state-dict keys

/// <summary>One LoRA (or DoRA) branch on a <see cref="Projection"/>, computing what peft's lora.Linear computes:
/// y = base(x) + B(A(dropout(x)))·scaling, in that order of operations; DoRA rescales each output row by
/// m / ‖W + scaling·BA‖ (the norm detached, as in the DoRA paper and peft). The input is cast to the adapter's dtype
/// and the result back to the base output's, so a bf16 base trains an fp32 adapter.</summary>
internal sealed class LoraLayer : IProjectionAdapter
{
    public LoraLayer(Projection layer, int r, double alpha, double dropout, bool useRslora, bool useDora, bool loraBias, string init, LoraAdapter owner)
    {
        Layer = layer;
        Owner = owner;
        Rank = r;
        Scaling = useRslora ? alpha / Math.Sqrt(r) : alpha / r;
        Dropout = dropout;
        // peft's draw order: nn.Linear(in, r) and nn.Linear(r, out) construct (two kaiming draws), then A is drawn again.
        A = nn.Linear(layer.InFeatures, r, hasBias: false);
        B = nn.Linear(r, layer.OutFeatures, hasBias: loraBias);
        using (no_grad())
        {
            switch (init)
            {
                case "true":
                    nn.init.kaiming_uniform_(A.weight!, a: Math.Sqrt(5));
                    B.weight!.zero_();
                    B.bias?.zero_();
                    break;
                case "gaussian":
                    nn.init.normal_(A.weight!, std: 1.0 / r);
                    B.weight!.zero_();
                    B.bias?.zero_();
                    break;
                case "false": break;
                default: throw new ArgumentException($"init_lora_weights '{init}' is not supported (true, false, gaussian).");
            }
            // peft moves the adapter to the base layer's device and dtype, then upcasts half-precision adapters to fp32
            // (autocast_adapter_dtype): on a bf16 base the initial values are bf16-rounded, the training copy fp32.
            var device = layer.weight.device;
            var baseType = layer.weight.dtype;
            foreach (var m in new[] { A, B })
            {
                m.to(device);
                if (baseType is ScalarType.BFloat16 or ScalarType.Float16) m.to(baseType);
                m.to(ScalarType.Float32);
            }
            if (useDora)
            {
                using var scope = NewDisposeScope();
                var magnitude = DoraNorm(layer.weight.to_type(ScalarType.Float32), B.weight!.matmul(A.weight!), Scaling);
                Magnitude = new DoraMagnitude(magnitude.detach().clone());
            }
        }
    }

    public Projection Layer { get; }
    public LoraAdapter Owner { get; }
    public int Rank { get; }
    public double Scaling { get; }
    public double Dropout { get; }
    public Linear A { get; }
    public Linear B { get; }
    public DoraMagnitude? Magnitude { get; }
    public bool Merged { get; private set; }
    Tensor? _mergedNorm;

    /// <summary>The modules as peft names them on the layer.</summary>
    public IEnumerable<(string Name, nn.Module Module)> Modules()
    {
        yield return ("lora_A", A);
        yield return ("lora_B", B);
        if (Magnitude is not null) yield return ("lora_magnitude_vector", Magnitude);
    }

    /// <summary>‖W + scaling·ΔW‖ over the input dimension: one value per output feature.</summary>
    static Tensor DoraNorm(Tensor weight, Tensor loraWeight, double scaling) =>
        linalg.norm(weight + loraWeight * scaling, dims: [1]);

    public Tensor Forward(Projection layer, Tensor input)
    {
        var result = layer.BaseForward(input);
        if (!Owner.Enabled || Merged) return result;
        using var scope = NewDisposeScope();
        var dtype = result.dtype;
        var x = input.dtype == A.weight!.dtype ? input : input.to_type(A.weight!.dtype);
        bool dropping = Dropout > 0 && layer.training;
        if (Magnitude is null)
        {
            var dropped = dropping ? nn.functional.dropout(x, Dropout, training: true) : x;
            result = result + B.call(A.call(dropped)) * Scaling;
            return result.to_type(dtype).MoveToOuterDisposeScope();
        }
        var weight = layer.weight.to_type(x.dtype);
        Tensor norm;
        using (no_grad()) norm = DoraNorm(weight, B.weight!.matmul(A.weight!).to_type(x.dtype), Scaling);
        var scale = (Magnitude.weight / norm.detach()).view(1, -1);
        Tensor baseResult;
        if (!dropping)
            baseResult = layer.bias is null ? result : result - layer.bias;
        else
        {
            x = nn.functional.dropout(x, Dropout, training: true);
            baseResult = nn.functional.linear(x, weight);
        }
        var dora = (scale - 1) * baseResult + scale * B.call(A.call(x)) * Scaling;
        return (result + dora).to_type(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>ΔW = (B·A)·scaling in the base weight's dtype (computed in fp32).</summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        return (B.weight!.matmul(A.weight!) * Scaling).to_type(Layer.weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Folds the branch into the base weights (peft's merge): W += ΔW (and b += B.bias·scaling); DoRA:
    /// W ← m/‖W + ΔW‖ · (W + ΔW), remembering the norm for <see cref="Unmerge"/>.</summary>
    public void Merge()
    {
        if (Merged) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var delta = DeltaWeight();
        if (Magnitude is null) Layer.weight.add_(delta);
        else
        {
            var norm = DoraNorm(Layer.weight, delta, 1.0).detach();
            _mergedNorm = norm.clone().DetachFromDisposeScope();
            var factor = (Magnitude.weight / norm).view(-1, 1).to_type(Layer.weight.dtype);
            Layer.weight.copy_(factor * (Layer.weight + delta));
        }
        if (B.bias is not null) Layer.bias?.add_((B.bias * Scaling).to_type(Layer.bias.dtype));
        Merged = true;
    }

    /// <summary>Undoes <see cref="Merge"/>.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var delta = DeltaWeight();
        if (Magnitude is null) Layer.weight.sub_(delta);
        else
        {
            var factor = (Magnitude.weight / _mergedNorm!).view(-1, 1).to_type(Layer.weight.dtype);
            Layer.weight.copy_(Layer.weight / factor - delta);
            _mergedNorm!.Dispose();
            _mergedNorm = null;
        }
        if (B.bias is not null) Layer.bias?.sub_((B.bias * Scaling).to_type(Layer.bias.dtype));
        Merged = false;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Magnitude?.Dispose();
        _mergedNorm?.Dispose();
    }
}

/// <summary>DoRA's trainable magnitude vector m [out] (peft: lora_magnitude_vector.weight).</summary>
internal sealed class DoraMagnitude : nn.Module
{
    public readonly Parameter weight;

    public DoraMagnitude(Tensor magnitude) : base(nameof(DoraMagnitude))
    {
        weight = new Parameter(magnitude);
        RegisterComponents();
    }
}

/// <summary>peft's ModulesToSaveWrapper on a <see cref="Projection"/>: a trained copy (registered as
/// <c>modules_to_save</c>) replaces the frozen original while the adapter is enabled.</summary>
internal sealed class ModulesToSaveLayer : IProjectionAdapter
{
    public ModulesToSaveLayer(Projection layer, LoraAdapter owner)
    {
        Layer = layer;
        Owner = owner;
        Copy = new ProjectionCopy(layer);
    }

    public Projection Layer { get; }
    public LoraAdapter Owner { get; }
    public ProjectionCopy Copy { get; }

    public IEnumerable<(string Name, nn.Module Module)> Modules() { yield return ("modules_to_save", Copy); }

    public Tensor Forward(Projection layer, Tensor input) =>
        Owner.Enabled ? nn.functional.linear(input, Copy.weight, Copy.bias) : layer.BaseForward(input);

    public void Dispose() => Copy.Dispose();
}

/// <summary>A trainable copy of a projection's weight and bias.</summary>
internal sealed class ProjectionCopy : nn.Module
{
    public readonly Parameter weight;
    public readonly Parameter? bias;

    public ProjectionCopy(Projection source) : base(nameof(ProjectionCopy))
    {
        using (no_grad())
        {
            weight = new Parameter(source.weight.detach().clone());
            if (source.bias is not null) bias = new Parameter(source.bias.detach().clone());
        }
        RegisterComponents();
    }
}
