using Trl.Data;

namespace Trl.Sft.Tests;

public class SftCollatorTests
{
    [Test]
    public void PadsRightAndMasksPromptAndPaddingInLabels()
    {
        var collator = new SftCollator(padTokenId: 0);
        var examples = new[]
        {
            new SftExample(new long[] { 5, 6, 7, 8 }) { CompletionMask = new[] { 0, 0, 1, 1 } },
            new SftExample(new long[] { 9, 10 }) { CompletionMask = new[] { 0, 1 } },
        };
        using var batch = collator.Collate(examples);
        Assert.That(batch.InputIds.data<long>().ToArray(), Is.EqualTo(new long[] { 5, 6, 7, 8, 9, 10, 0, 0 }));
        Assert.That(batch.AttentionMask.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 1, 1, 1, 1, 1, 0, 0 }));
        Assert.That(batch.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { -100, -100, 7, 8, -100, 10, -100, -100 }));
        Assert.That(batch.PositionIds, Is.Null);
    }

    [Test]
    public void WithoutCompletionOnlyLossEveryRealTokenIsALabel()
    {
        var collator = new SftCollator(padTokenId: 0, completionOnlyLoss: false, padToMultipleOf: 4);
        using var batch = collator.Collate(new[] { new SftExample(new long[] { 5, 6, 7 }) { CompletionMask = new[] { 0, 0, 1 } } });
        Assert.That(batch.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 5, 6, 7, -100 }));
    }

    [Test]
    public void PaddingFreeConcatenatesWithRestartingPositions()
    {
        var collator = new SftCollator(padTokenId: 0, completionOnlyLoss: false, paddingFree: true);
        using var batch = collator.Collate(new[] { new SftExample(new long[] { 5, 6, 7 }), new SftExample(new long[] { 8, 9 }) });
        Assert.That(batch.InputIds.shape, Is.EqualTo(new long[] { 1, 5 }));
        Assert.That(batch.PositionIds!.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 2, 0, 1 }));
    }
}
