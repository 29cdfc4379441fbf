using Trl.Data;
using Trl.Gkd;
using Trl.Modeling;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Gkd.Tests;

/// <summary>GKD against TRL: all 50 cases of fixtures/trl/kernels/gkd_jsd.json (TRL's generalized_jsd_loss: β ∈ {0,
/// 0.1, 0.5, 0.9, 1} × temperature {1, 2} × every reduction, loss and gradient) plus its reduction="none" output, and
/// end to end: a student distilled from a different teacher, half the steps on its own samples, must lower the JSD
/// clearly.</summary>
public class GkdTests
{
    static readonly System.Text.Json.Nodes.JsonNode Golden = Fixtures.Json(Fixtures.Trl("kernels", "gkd_jsd.json"));

    [Test]
    public void EveryCaseMatchesTrl()
    {
        int cases = 0;
        foreach (var c in Golden["cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            double beta = JsonTensors.Number(c!["beta"]!), temperature = JsonTensors.Number(c["temperature"]!);
            var reduction = c["reduction"]!.GetValue<string>();
            bool labelsUsed = c["labels_used"]!.GetValue<bool>();
            double? items = c["num_items_in_batch"] is { } n && n.GetValueKind() != System.Text.Json.JsonValueKind.Null ? JsonTensors.Number(n) : null;
            var what = $"beta {beta} T {temperature} {reduction} labels {labelsUsed} items {items}";
            var student = JsonTensors.ToTensor(Golden["student_logits"]!).requires_grad_(true);
            var loss = GeneralizedJsd.Compute(student, JsonTensors.ToTensor(Golden["teacher_logits"]!),
                labelsUsed ? JsonTensors.ToTensor(Golden["labels"]!, ScalarType.Int64) : null, beta, temperature, reduction, items);
            loss.backward();
            TensorAssert.CloseRel(loss.item<float>(), JsonTensors.Number(c["loss"]!), 1e-5, what + " loss");
            TensorAssert.Close(student.grad!, JsonTensors.ToTensor(c["grad_student_logits"]!), atol: 1e-7, rtol: 1e-5, what: what + " grad");
            cases++;
        }
        Assert.That(cases, Is.EqualTo(50));
        using var s2 = NewDisposeScope();
        var none = GeneralizedJsd.Compute(JsonTensors.ToTensor(Golden["student_logits"]!), JsonTensors.ToTensor(Golden["teacher_logits"]!),
            JsonTensors.ToTensor(Golden["labels"]!, ScalarType.Int64), 0.5, 1.0, "none");
        TensorAssert.Close(none, JsonTensors.ToTensor(Golden["reduction_none_beta0.5_masked_flat"]!), atol: 1e-6, what: "reduction none");
    }

    [Test]
    public void StudentApproachesTheTeacherOnPolicyAndOffPolicy()
    {
        var config = new GkdConfig
        {
            OutputDir = TrainerFixture.OutputDir(), PerDeviceTrainBatchSize = 16, MaxNewTokens = 12, MaxLength = 64, Lmbda = 0.5,
            LearningRate = 3e-3, MaxSteps = 60, LoggingSteps = 1, LrSchedulerType = "constant", Seed = 0,
        };
        var tokenizer = TokenizerLoader.FromPretrained(Path.GetDirectoryName(Fixtures.EmbeddedDefault("tokenizer.json"))!);
        var modelConfig = ModelConfig.Load(Fixtures.EmbeddedDefault("config.json"));
        using var student = CausalLM.FromConfig(modelConfig, seed: 0);
        using var teacher = CausalLM.FromConfig(modelConfig, seed: 1);
        var examples = new GkdDatasetPreparer(tokenizer, config).Prepare(DatasetLoader.Read(Fixtures.EmbeddedDefault("train.jsonl"))).Examples;
        using var trainer = new GkdTrainer(student, teacher, config, examples, tokenizer.Special.PadTokenId ?? 0);
        var state = trainer.Train();

        var losses = state.LogHistory.Select(r => r["loss"]).ToList();
        double onPolicy = state.LogHistory.Average(r => r["on_policy"]);
        double first = losses.Take(5).Average(), last = losses.Skip(losses.Count - 10).Average();
        TestContext.Out.WriteLine($"JSD: first 5 steps {first:G4}, last 10 steps {last:G4}; on-policy fraction {onPolicy:F2}");
        Assert.That(onPolicy, Is.InRange(0.3, 0.7), "lmbda 0.5 replaces about half the batches with student samples");
        Assert.That(last, Is.LessThan(0.5 * first), "the JSD to the teacher should fall clearly");
    }
}
