using Trl.Data;
using Trl.Modeling;
using Trl.OnlineDpo;
using Trl.Rewards;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.OnlineDpo.Tests;

/// <summary>Online DPO against TRL: every online_dpo case of fixtures/trl/kernels/online_dpo_xpo_nashmd.json (pair
/// selection with a tie, sigmoid/ipo × β, losses, gradient, all statistics), and end to end on the embedded default:
/// pairs sampled from the policy and ranked by the similarity reward must raise the mean reward clearly.</summary>
public class OnlineDpoTests
{
    [Test]
    public void LossSelectionGradientAndStatisticsMatchTrl()
    {
        var golden = Fixtures.Json(Fixtures.Trl("kernels", "online_dpo_xpo_nashmd.json"));
        var x = golden["online_dpo_inputs"]!;
        int cases = 0;
        foreach (var c in golden["online_dpo_cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            var lossType = c!["loss_type"]!.GetValue<string>();
            double beta = JsonTensors.Number(c["beta"]!);
            var what = $"{lossType} beta {beta}";
            var lp = JsonTensors.ToTensor(x["logprobs"]!).requires_grad_(true);
            var output = OnlineDpoLoss.Compute(lp, JsonTensors.ToTensor(x["ref_logprobs"]!), JsonTensors.ToTensor(x["completion_mask"]!),
                JsonTensors.ToTensor(x["rewards"]!), beta, lossType);
            output.Loss.backward();
            TensorAssert.Equal(output.ChosenIndices, JsonTensors.ToTensor(c["chosen_indices"]!, ScalarType.Int64), what + " chosen");
            TensorAssert.Equal(output.RejectedIndices, JsonTensors.ToTensor(c["rejected_indices"]!, ScalarType.Int64), what + " rejected");
            TensorAssert.Close(output.Losses, JsonTensors.ToTensor(c["losses"]!), atol: 1e-6, rtol: 1e-5, what: what + " losses");
            TensorAssert.CloseRel(output.Loss.item<float>(), JsonTensors.Number(c["loss"]!), 1e-5, what + " loss");
            TensorAssert.Close(lp.grad!, JsonTensors.ToTensor(c["grad_logprobs"]!), atol: 1e-7, rtol: 1e-5, what: what + " grad");
            foreach (var (metric, value) in c["stats"]!.AsObject())
                TensorAssert.CloseRel(output.Metrics[metric].to_type(ScalarType.Float64).item<double>(), JsonTensors.Number(value!), 1e-5, $"{what} {metric}", atol: 1e-6);
            cases++;
        }
        Assert.That(cases, Is.EqualTo(4));
    }

    [Test]
    public void MeanRewardRisesOnTheEmbeddedReversalTask()
    {
        var config = new OnlineDpoConfig
        {
            OutputDir = TrainerFixture.OutputDir(), PerDeviceTrainBatchSize = 32, MaxNewTokens = 12, MaxLength = 64, Temperature = 1.0,
            LearningRate = 1e-3, MaxSteps = 100, LoggingSteps = 1, LrSchedulerType = "constant", Seed = 0,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Fixtures.EmbeddedDefault("tokenizer.json"))!);
        using var model = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 0);
        using var reference = CausalLM.FromConfig(ModelConfig.Load(Fixtures.EmbeddedDefault("config.json")), seed: 0);
        var prompts = new OnlineDpoDatasetPreparer(tokenizer).Prepare(DatasetLoader.Read(Fixtures.EmbeddedDefault("prompts.jsonl"))).Examples;
        using var trainer = new OnlineDpoTrainer(model, reference, config, prompts, tokenizer, new IRewardFunction[] { new SimilarityReward() });
        var state = trainer.Train();

        Assert.That(state.LogHistory[0].Keys, Is.SupersetOf(new[] { "loss", "objective/kl", "objective/entropy", "objective/non_score_reward",
            "objective/rlhf_reward", "objective/scores", "objective/scores_margin", "logps/chosen", "logps/rejected", "rewards/chosen",
            "rewards/rejected", "rewards/margins", "rewards/accuracies", "val/contain_eos_token", "beta" }));
        var scores = state.LogHistory.Select(r => r["objective/scores"]).ToList();
        double first = scores.Take(5).Average(), last = scores.Skip(scores.Count - 20).Average();
        TestContext.Out.WriteLine($"mean reward: first 5 steps {first:F3}, last 20 steps {last:F3}");
        Assert.That(last, Is.GreaterThan(first + 0.08), "mean reward should rise clearly");
    }
}
