using Trl.Cpo;
using Trl.Modeling;
using Trl.Testing;
using Trl.Kernels;
using Trl.Tokenization;

namespace Trl.Cpo.Tests;

/// <summary>Two steps of our CpoTrainer against TRL's CPOTrainer (fixtures/trl/trainers/cpo).</summary>
public class CpoParityTests
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", "cpo");
        var pairs = new CpoDatasetPreparer(TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer")), new CpoConfig()).Prepare(LegacyPreferenceFixture.Rows(fx)).Examples;
        LegacyPreferenceFixture.AssertMatches(fx, pairs, p => (p.PromptIds, p.ChosenIds, p.ChosenLabels, p.RejectedIds, p.RejectedLabels));
        var config = new CpoConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0, Beta = 0.1,
        };
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new CpoTrainer(model, config, pairs, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }
}

/// <summary>SimPO and AlphaPO (no TRL run recorded): at the initial weights chosen and rejected log-probs are known,
/// so the first logged loss must equal the formula computed here by hand.</summary>
public class CpoVariantTests
{
    [TestCase("simpo", 0.0)]
    [TestCase("alphapo", 0.5)]
    public void FirstStepLossFollowsTheFormula(string lossType, double alpha)
    {
        var fx = new TrainerFixture("trl", "cpo");
        var pairs = new CpoDatasetPreparer(TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer")), new CpoConfig()).Prepare(LegacyPreferenceFixture.Rows(fx)).Examples;
        LegacyPreferenceFixture.AssertMatches(fx, pairs, p => (p.PromptIds, p.ChosenIds, p.ChosenLabels, p.RejectedIds, p.RejectedLabels));
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        double beta = 0.1, gamma = 0.5;
        double expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            // By hand from the full logits: mean label log-prob per row, CE over the chosen rows' labels.
            var ids = SequencePadding.PadIds(pairs.Select(p => p.ChosenIds).Concat(pairs.Select(p => p.RejectedIds)).ToList(), 0);
            var attention = SequencePadding.AttentionMask(pairs.Select(p => p.ChosenIds).Concat(pairs.Select(p => p.RejectedIds)).ToList());
            var allLabels = SequencePadding.PadIds(pairs.Select(p => p.ChosenLabels).Concat(pairs.Select(p => p.RejectedLabels)).ToList(), -100);
            var logits = model.Forward(ids, attention).to_type(ScalarType.Float64);
            long t = allLabels.shape[1] - 1;
            var labels = allLabels.narrow(1, 1, t);
            var valid = labels.ne(-100);
            var tokenLogps = logits.narrow(1, 0, t).log_softmax(-1).gather(-1, labels.masked_fill(valid.logical_not(), 0).unsqueeze(-1)).squeeze(-1);
            var validF = valid.to_type(ScalarType.Float64);
            var logps = (tokenLogps * validF).sum(1) / validF.sum(1);
            var s = alpha != 0 ? (1 - logps.exp().pow(-alpha)) / alpha : logps;
            var x = s.narrow(0, 0, 4) - s.narrow(0, 4, 4) - gamma / beta;
            expected = (-nn.functional.logsigmoid(beta * x)).mean().item<double>();   // alphapo: no NLL term; simpo: + NLL
            if (lossType == "simpo")
                expected += (-(tokenLogps.narrow(0, 0, 4) * validF.narrow(0, 0, 4)).sum() / validF.narrow(0, 0, 4).sum()).item<double>();
        }
        var config = new CpoConfig { OutputDir = TrainerFixture.OutputDir(), LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 1, LoggingSteps = 1, SaveSteps = 0, LossType = lossType, Alpha = alpha, SimpoGamma = gamma };
        using var trainer = new CpoTrainer(model, config, pairs, padTokenId: 0);
        var state = trainer.Train();
        TensorAssert.CloseRel(state.LogHistory[0]["loss"], expected, 1e-5, $"{lossType} loss");
    }
}
