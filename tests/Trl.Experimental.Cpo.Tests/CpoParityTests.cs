using Trl.Cpo;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Cpo.Tests;

/// <summary>Two steps of our CpoTrainer against TRL's CPOTrainer (fixtures/trl/trainers/cpo).</summary>
public class CpoParityTests
{
    [Test]
    public void TwoStepsMatchTrl()
    {
        var fx = new TrainerFixture("trl", "cpo");
        var pairs = LegacyPreferenceFixture.TokenizeAndCheck(fx, TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer")));
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
