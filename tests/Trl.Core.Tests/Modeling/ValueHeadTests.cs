using Trl.Kernels;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Modeling;

/// <summary>The scalar value head PPO-style trainers read at every token: a one-label sequence classifier (the HF
/// `score` layer, as TRL's value model), whose per-position values agree with the pooled reward at the last real
/// token, are independent of right padding, and get gradients.</summary>
public class ValueHeadTests
{
    [Test]
    public void PerTokenValuesMatchThePooledScoreAndIgnoreRightPadding()
    {
        var raw = (System.Text.Json.Nodes.JsonObject)ModelConfig.Load(Fixtures.Trl("models", "qwen2_tiny", "config.json")).Raw.DeepClone();
        raw["num_labels"] = 1;
        raw["architectures"] = new System.Text.Json.Nodes.JsonArray("Qwen2ForSequenceClassification");
        manual_seed(0);
        using var valueModel = new SequenceClassifier(ModelConfig.FromJson(raw));
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 5, 9, 12, 7, 0, 0, 8, 3, 11, 6, 4, 2 }, new long[] { 2, 6 });
        var mask = ids.ne(0).to_type(ScalarType.Int64);
        var values = valueModel.ForwardAllPositions(ids, mask).squeeze(-1);
        Assert.That(values.shape, Is.EqualTo(new long[] { 2, 6 }));
        var pooled = valueModel.Forward(ids, mask, padTokenId: 0).squeeze(-1);
        TensorAssert.Close(pooled, stack(new[] { values[0, 3], values[1, 5] }), atol: 1e-6);
        // Right padding does not change the values of the real tokens.
        var unpadded = valueModel.ForwardAllPositions(ids.narrow(0, 0, 1).narrow(1, 0, 4), null).squeeze(-1);
        TensorAssert.Close(values.narrow(0, 0, 1).narrow(1, 0, 4), unpadded, atol: 1e-5);
        (values * mask).sum().backward();
        Assert.That(valueModel.score.weight.grad, Is.Not.Null);
        Assert.That(valueModel.score.weight.grad!.abs().sum().item<float>(), Is.GreaterThan(0));
    }
}
