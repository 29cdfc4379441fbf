using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Trl.Modeling;

#pragma warning disable IDE1006, CA1051 // field names are the HF state-dict keys

/// <summary>A linear layer y = x·Wᵀ + b whose parameters carry transformers' names (<c>weight</c>, <c>bias</c>), with a
/// slot for a PEFT adapter: a LoRA/DoRA branch (registered as <c>lora_A</c>, <c>lora_B</c>,
/// <c>lora_magnitude_vector</c>) or, for modules_to_save, a trained copy (<c>modules_to_save</c>). Its initialisation
/// draws what torch.nn.Linear's does, in the same order, so models built from a seed stay reproducible.</summary>
internal sealed class Projection : nn.Module<Tensor, Tensor>
{
    /// <summary>[out, in].</summary>
    public readonly Parameter weight;
    /// <summary>[out], or null.</summary>
    public readonly Parameter? bias;

    /// <summary>Creates the layer with nn.Linear's init: kaiming_uniform(a = √5) weights, U(±1/√in) bias.</summary>
    public Projection(long inFeatures, long outFeatures, bool hasBias) : base(nameof(Projection))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using (no_grad())
        {
            weight = new Parameter(empty(outFeatures, inFeatures));
            nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
            if (hasBias)
            {
                bias = new Parameter(empty(outFeatures));
                double bound = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
                nn.init.uniform_(bias, -bound, bound);
            }
        }
        RegisterComponents();
    }

    /// <summary>Input features.</summary>
    public long InFeatures { get; }
    /// <summary>Output features.</summary>
    public long OutFeatures { get; }

    /// <summary>The adapter computing this layer's output instead of the plain linear map (null: none).</summary>
    internal IProjectionAdapter? Adapter { get; private set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        Adapter is { } adapter ? adapter.Forward(this, input) : nn.functional.linear(input, weight, bias);

    /// <summary>The plain linear map with the base weights (what the layer computes with its adapter disabled).</summary>
    public Tensor BaseForward(Tensor input) => nn.functional.linear(input, weight, bias);

    /// <summary>Installs <paramref name="adapter"/> and registers its modules under their PEFT names.</summary>
    internal void Attach(IProjectionAdapter adapter, IEnumerable<(string Name, nn.Module Module)> modules)
    {
        if (Adapter is not null) throw new InvalidOperationException("This layer already has an adapter.");
        foreach (var (name, module) in modules) register_module(name, module);
        Adapter = adapter;
    }

    /// <summary>Removes the adapter and its modules (which the caller disposes).</summary>
    internal void Detach(IEnumerable<string> moduleNames)
    {
        foreach (var name in moduleNames) register_module(name, null!);
        Adapter = null;
    }
}

/// <summary>What a PEFT adapter computes in place of a <see cref="Projection"/>'s linear map.</summary>
internal interface IProjectionAdapter
{
    Tensor Forward(Projection layer, Tensor input);
}
