using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Dpo;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Dpo.Tests;

/// <summary>Two optimizer steps of our DpoTrainer against the real TRL DPOTrainer for each recorded loss type and
/// option (fixtures/trl*/trainers/dpo_*): tokenization, collation, data order, losses, every logged metric, step-1
/// gradients and the parameters after each step.</summary>
public class DpoParityTests
{
    public static IEnumerable<TestCaseData> Runs() => new[]
    {
        ("trl", "dpo_sigmoid"), ("trl", "dpo_ipo"), ("trl2", "dpo_exo_pair"), ("trl2", "dpo_nca_pair"), ("trl2", "dpo_robust"),
        ("trl2", "dpo_bco_pair"), ("trl2", "dpo_apo_zero"), ("trl2", "dpo_discopop"), ("trl2", "dpo_sigmoid_sft_multi"),
        ("trl2", "dpo_sigmoid_ld_alpha0.5"), ("trl2", "dpo_sigmoid_js_divergence"), ("trl2", "dpo_sigmoid_chatml"),
    }.Select(r => new TestCaseData(r.Item1, r.Item2).SetName($"{r.Item2}"));

    static DpoConfig ConfigFrom(JsonNode overrides, string outputDir)
    {
        var o = overrides.AsObject();
        return new DpoConfig
        {
            OutputDir = outputDir, LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0,
            Beta = o["beta"]?.GetValue<double>() ?? 0.1,
            LossType = o["loss_type"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray(),
            LossWeights = o["loss_weights"]?.AsArray().Select(x => x!.GetValue<double>()).ToArray(),
            LabelSmoothing = o["label_smoothing"]?.GetValue<double>() ?? 0,
            LdAlpha = o["ld_alpha"]?.GetValue<double>(),
            FDivergenceType = o["f_divergence_type"]?.GetValue<string>() ?? "reverse_kl",
        };
    }

    [TestCaseSource(nameof(Runs))]
    public void TwoStepsMatchTrl(string set, string run)
    {
        var fx = new TrainerFixture(set, run);
        var tokenizer = TokenizerLoader.FromPretrained(run.EndsWith("chatml", StringComparison.Ordinal) ? Fixtures.Trl2("tokenizer_chatml") : Fixtures.Trl("tokenizer"));
        var config = ConfigFrom(fx.Result["config_overrides"]!, Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N")));
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1)).ToList();
        var pairs = rows.Select(r => PreferenceRows.Tokenize(r, tokenizer, tokenizer.Special.EosToken)).ToList();
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < pairs.Count; i++)
        {
            IEnumerable<long> Ids(string k) => processed[i]![k]!.AsArray().Select(x => x!.GetValue<long>());
            Assert.That(pairs[i].PromptIds, Is.EqualTo(Ids("prompt_ids")), $"row {i} prompt_ids");
            Assert.That(pairs[i].ChosenIds, Is.EqualTo(Ids("chosen_ids")), $"row {i} chosen_ids");
            Assert.That(pairs[i].RejectedIds, Is.EqualTo(Ids("rejected_ids")), $"row {i} rejected_ids");
        }
        var collator = new DpoCollator(0, config.MaxLength);
        for (int step = 0; step < 2; step++)
        {
            var order = Trainer<PreferenceExample>.EpochPermutation(pairs.Count, 0, step);
            using var batch = collator.Collate(order.Select(i => pairs[(int)i]).ToList());
            TensorAssert.Equal(batch.InputIds, fx.Captured(step, "input_ids"), $"step {step} input_ids");
            TensorAssert.Equal(batch.AttentionMask, fx.Captured(step, "attention_mask"), $"step {step} attention_mask");
            TensorAssert.Equal(batch.CompletionMask, fx.Captured(step, "completion_mask"), $"step {step} completion_mask");
        }

        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var reference = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new DpoTrainer(model, reference, config, pairs, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }

    /// <summary>precompute_ref_log_probs with no reference model: the starting policy scores every pair once before
    /// training, and the two recorded TRL steps (computed with a live reference) come out the same, including ld_alpha
    /// weighting of the reference log-probs.</summary>
    [TestCase("trl", "dpo_sigmoid")]
    [TestCase("trl2", "dpo_sigmoid_ld_alpha0.5")]
    public void PrecomputedReferenceLogProbsGiveTheSameRun(string set, string run)
    {
        var fx = new TrainerFixture(set, run);
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        // The 4-row dataset fits one precompute batch padded like the training batch, so the step-1 rewards are
        // exactly 0 as with a live reference (a different padding moves them by float noise and flips accuracies).
        var config = ConfigFrom(fx.Result["config_overrides"]!, TrainerFixture.OutputDir()) with { PrecomputeRefLogProbs = true };
        var pairs = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => PreferenceRows.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1), tokenizer, tokenizer.Special.EosToken)).ToList();
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new DpoTrainer(model, referenceModel: null, config, pairs, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }

    [Test]
    public void WithoutReferenceOrPrecomputationIsAClearError()
    {
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        var pairs = new[] { new PreferenceExample(new long[] { 5 }, new long[] { 6 }, new long[] { 7 }) };
        Assert.That(() => new DpoTrainer(model, null, new DpoConfig { OutputDir = TrainerFixture.OutputDir() }, pairs, 0),
            Throws.ArgumentNullException.With.Message.Contains("precompute_ref_log_probs"));
    }

    /// <summary>sync_ref_model (TR-DPO): after each sync step the reference is α·θ + (1 − α)·θ_ref, as TRL's
    /// SyncRefModelCallback leaves it; with steps 1 and α 0.5 two steps give ref = ½θ₂ + ¼θ₁ + ¼θ₀.</summary>
    [Test]
    public void SyncRefModelMixesThePolicyIntoTheReference()
    {
        var fx = new TrainerFixture("trl", "dpo_sigmoid");
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var config = ConfigFrom(fx.Result["config_overrides"]!, TrainerFixture.OutputDir()) with { SyncRefModel = true, RefModelMixupAlpha = 0.5, RefModelSyncSteps = 1 };
        var pairs = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => PreferenceRows.Tokenize(new DatasetRow(r!.AsObject(), "result.json", i + 1), tokenizer, tokenizer.Special.EosToken)).ToList();
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var reference = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        const string name = "model.layers.0.mlp.up_proj.weight";
        Tensor Param(CausalLM m) => m.NamedParameters().First(p => p.Name == name).Parameter.detach().clone();
        var theta = new List<Tensor> { Param(model) };
        using var trainer = new DpoTrainer(model, reference, config, pairs, padTokenId: 0);
        trainer.Callbacks.Add(new StepCapture(() => theta.Add(Param(model))));
        trainer.Train();
        var expected = 0.5 * theta[2] + 0.25 * theta[1] + 0.25 * theta[0];
        TensorAssert.Close(Param(reference), expected, atol: 1e-7, what: name);
        Assert.That(() => (config with { PrecomputeRefLogProbs = true }).Validate(), Throws.ArgumentException.With.Message.Contains("sync_ref_model"));
    }

    sealed class StepCapture(Action capture) : ITrainerCallback
    {
        public void OnStepEnd(TrainerState state, nn.Module model) => capture();
    }
}
