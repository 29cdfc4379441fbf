using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Sft.Tests;

/// <summary>SFT with bfd packing against TRL (fixtures/trl2/trainers/sft_pack_bfd): packed rows, padding-free
/// batches with restarting position ids, attention kept inside documents, losses, metrics, gradients, weights.</summary>
public class SftPackingParityTests
{
    [Test]
    public void PackedTwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl2", "sft_pack_bfd");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = new SftConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
            Packing = true, PackingStrategy = "bfd", MaxLength = 16,
        };
        var preparer = new SftDatasetPreparer(tokenizer, config);
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1));
        var packed = preparer.Pack(rows.Select(preparer.Tokenize).ToList());
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        Assert.That(packed, Has.Count.EqualTo(processed.Count));
        for (int i = 0; i < packed.Count; i++)
        {
            Assert.That(packed[i].InputIds, Is.EqualTo(processed[i]!["input_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"packed row {i}");
            Assert.That(packed[i].SequenceLengths, Is.EqualTo(processed[i]!["seq_lengths"]!.AsArray().Select(x => x!.GetValue<int>())), $"seq_lengths {i}");
        }

        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new SftTrainer(model, config, packed, padTokenId: 0);
        for (int step = 0; step < 2; step++)
        {
            var order = Trainer<SftExample>.EpochPermutation(packed.Count, 0, 0).Skip(step * 4).Take(4);
            using var batch = trainer.Collator.Collate(order.Select(i => packed[(int)i]).ToList());
            TensorAssert.Equal(batch.InputIds, fx.Captured(step, "input_ids"), $"step {step} input_ids");
            TensorAssert.Equal(batch.Labels, fx.Captured(step, "labels"), $"step {step} labels");
            TensorAssert.Equal(batch.PositionIds!, fx.Captured(step, "position_ids"), $"step {step} position_ids");
        }
        fx.TrainAndAssert(trainer);
    }

    [Test]
    public void PackedForwardEqualsTransformersAndSeparateDocuments()
    {
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        var golden = Safetensors.Load(Path.Combine(Fixtures.Root, "trl2", "trainers", "sft_pack_bfd", "packed_forward.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var step in new[] { "step1", "step2" })
        {
            var logits = model.Forward(golden[$"{step}.input_ids"], positionIds: golden[$"{step}.position_ids"], packed: true);
            TensorAssert.Close(logits, golden[$"{step}.logits_packed"], atol: 2e-5, what: $"{step} packed");
            TensorAssert.Close(logits, golden[$"{step}.logits_separate"], atol: 2e-5, what: $"{step} vs separate documents");
        }
        foreach (var t in golden.Values) t.Dispose();
    }
}
