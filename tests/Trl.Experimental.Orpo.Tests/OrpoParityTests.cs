using Trl.Modeling;
using Trl.Orpo;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Orpo.Tests;

/// <summary>Two steps of our OrpoTrainer against TRL's ORPOTrainer (fixtures/trl/trainers/orpo).</summary>
public class OrpoParityTests
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", "orpo");
        var config = new OrpoConfig
        {
            OutputDir = TrainerFixture.OutputDir(),
            LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, Seed = 0, LoggingSteps = 1, SaveSteps = 0, Beta = 0.1,
        };
        var pairs = new OrpoDatasetPreparer(TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer")), config).Prepare(LegacyPreferenceFixture.Rows(fx)).Examples;
        LegacyPreferenceFixture.AssertMatches(fx, pairs, p => (p.PromptIds, p.ChosenIds, p.ChosenLabels, p.RejectedIds, p.RejectedLabels));
        using var model = CausalLM.FromPretrained(Fixtures.Trl("models", "qwen2_tiny"));
        using var trainer = new OrpoTrainer(model, config, pairs, padTokenId: 0);
        fx.TrainAndAssert(trainer);
    }
}
