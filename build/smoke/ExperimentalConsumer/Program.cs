using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Kto;
using Trl.Modeling;
using Trl.Rewards;
using Trl.Rloo;
using Trl.Tokenization;

// A few KTO steps (reversal rows in the embedded default's vocabulary) from the packed prerelease package, next to the stable ones.
// The embedded default's tokenizer and model shape (smoke.sh points TRL_SMOKE_MODEL at them): real files, loaded as a user would.
var modelDir = Environment.GetEnvironmentVariable("TRL_SMOKE_MODEL") ?? throw new InvalidOperationException("set TRL_SMOKE_MODEL");
var tokenizer = TokenizerLoader.FromPretrained(modelDir);
var config = ModelConfig.Load(Path.Combine(modelDir, "config.json"));
using var model = CausalLM.FromConfig(config, seed: 0);
using var reference = CausalLM.FromConfig(config, seed: 0);
var rows = new[] { (" b a", true), (" a b", false), (" c b a", true), (" a b c", false) }
    .Select((r, i) => new DatasetRow(new JsonObject { ["prompt"] = "reverse : a b :", ["completion"] = r.Item1, ["label"] = r.Item2 }, "memory", i + 1));
var ktoConfig = new KtoConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-kto-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 5, PerDeviceTrainBatchSize = 4, LoggingSteps = 5 };
var examples = new KtoDatasetPreparer(tokenizer, ktoConfig).Prepare(rows).Examples;
using var trainer = new KtoTrainer(model, reference, ktoConfig, examples, padTokenId: 0);
var state = trainer.Train();
Directory.Delete(ktoConfig.OutputDir, recursive: true);
Console.WriteLine($"experimental consumer OK: KTO loss {state.LogHistory[^1]["loss"]:F3}, rewards/margins {state.LogHistory[^1]["rewards/margins"]:F3}");

// A few RLOO steps (online: sampling, a reward delegate, leave-one-out) from the second prerelease package.
using var policy = CausalLM.FromConfig(config, seed: 1);
var rlooConfig = new RlooConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-rloo-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 3,
    PerDeviceTrainBatchSize = 4, NumGenerations = 4, MaxCompletionLength = 4, Beta = 0, LoggingSteps = 3 };
var prompts = new RlooDatasetPreparer(tokenizer).Prepare(Enumerable.Range(1, 4).Select(i => new DatasetRow(new JsonObject { ["prompt"] = "reverse : a b c :" }, "memory", i)));
var startsWithC = DelegateRewardFunction.PerCompletion("starts_with_c", (text, _, _) => text.TrimStart().StartsWith('c') ? 1.0 : 0.0);
using var rloo = new RlooTrainer(policy, null, rlooConfig, prompts.Examples, tokenizer, new IRewardFunction[] { startsWithC });
var rlooState = rloo.Train();
Directory.Delete(rlooConfig.OutputDir, recursive: true);
Console.WriteLine($"experimental consumer OK: RLOO reward {rlooState.LogHistory[^1]["reward"]:F3} after {rlooState.GlobalStep} steps");
