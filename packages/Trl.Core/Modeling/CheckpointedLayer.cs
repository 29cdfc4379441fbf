using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>Activation (gradient) checkpointing of one decoder layer, reentrant as torch.utils.checkpoint with
/// use_reentrant=True: the forward pass runs without saving activations, and backward runs the layer again with
/// gradients on to back-propagate through it. Gradients equal the plain layer's exactly (the same ops run twice).</summary>
internal sealed class CheckpointedLayer : autograd.SingleTensorFunction<CheckpointedLayer>
{
    public override string Name => nameof(CheckpointedLayer);

    /// <summary>Runs <paramref name="layer"/> on <paramref name="input"/>, checkpointed. <paramref name="shared"/> holds the
    /// tensors the layer reads besides its input (rotary tables, mask); it frees them after the last layer's backward.</summary>
    public static Tensor Run(Func<Tensor, Tensor> layer, Tensor input, SharedInputs shared) => apply(layer, input, shared);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var layer = (Func<Tensor, Tensor>)vars[0];
        var input = (Tensor)vars[1];
        ctx.save_data("layer", layer);
        ctx.save_data("shared", vars[2]);
        ctx.save_data("input", input.detach().DetachFromDisposeScope());
        using var noGrad = no_grad();
        return layer(input);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        var layer = (Func<Tensor, Tensor>)ctx.get_data("layer");
        var shared = (SharedInputs)ctx.get_data("shared");
        using var saved = (Tensor)ctx.get_data("input");
        Tensor inputGrad;
        using (var scope = NewDisposeScope())
        {
            var x = saved.detach().requires_grad_(true);
            using (enable_grad())
            {
                var y = layer(x);
                autograd.backward(new[] { y }, new[] { grad });
            }
            inputGrad = x.grad!.MoveToOuterDisposeScope();
        }
        shared.Release();
        return new List<Tensor> { null!, inputGrad, null! };
    }

    /// <summary>Tensors every checkpointed layer of one forward pass reads, owned until each layer's backward has run.</summary>
    internal sealed class SharedInputs(IReadOnlyList<Tensor> tensors, int users)
    {
        int _users = users;

        /// <summary>One layer's backward is done; the last one frees the tensors.</summary>
        public void Release()
        {
            if (Interlocked.Decrement(ref _users) != 0) return;
            foreach (var t in tensors) t.Dispose();
        }
    }
}
