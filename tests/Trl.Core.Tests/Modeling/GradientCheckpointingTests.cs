using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Modeling;

/// <summary>Checkpointed decoder layers (recomputed in backward) give exactly the gradients of plain ones, with
/// padding (an explicit mask) and without, and leave no live tensor behind after backward.</summary>
public class GradientCheckpointingTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void GradientsEqualThePlainForward(bool padded)
    {
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        model.train();
        Dictionary<string, Tensor> Grads(bool checkpoint)
        {
            model.zero_grad();
            model.Decoder.GradientCheckpointing = checkpoint;
            using var scope = NewDisposeScope();
            var ids = tensor(new long[] { 5, 9, 13, 2, 7, 21, 3, 8, 11, 4, 6, 1 }, new long[] { 2, 6 });
            var mask = padded ? tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, new long[] { 2, 6 }) : null;
            var logits = model.Forward(ids, mask);
            (logits.log_softmax(-1).narrow(1, 0, 5).gather(-1, ids.narrow(1, 1, 5).unsqueeze(-1)).sum() * -1).backward();
            return model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.grad!.clone().DetachFromDisposeScope());
        }
        var plain = Grads(false);
        var checkpointed = Grads(true);
        foreach (var (name, g) in plain) TensorAssert.Close(checkpointed[name], g, atol: 0, what: name);
    }
}
