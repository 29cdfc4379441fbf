using System.Text.Json.Nodes;
using Trl.Cpo;
using Trl.Data;
using Trl.Modeling;
using Trl.Tokenization;

// A few CPO steps (reversal pairs in the embedded default's vocabulary) from the packed prerelease package, next to the stable ones.
// The embedded default's tokenizer and model shape (smoke.sh points TRL_SMOKE_MODEL at them): real files, loaded as a user would.
var modelDir = Environment.GetEnvironmentVariable("TRL_SMOKE_MODEL") ?? throw new InvalidOperationException("set TRL_SMOKE_MODEL");
var tokenizer = TokenizerLoader.FromPretrained(modelDir);
var config = ModelConfig.Load(Path.Combine(modelDir, "config.json"));
using var model = CausalLM.FromConfig(config, seed: 0);
var rows = new[] { ("a b", " b a"), ("a b c", " c b a"), ("c a", " a c"), ("b c", " c b") }
    .Select((r, i) => new DatasetRow(new JsonObject { ["prompt"] = $"reverse : {r.Item1} :", ["chosen"] = r.Item2, ["rejected"] = " a a" }, "memory", i + 1));
var cpoConfig = new CpoConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-cpo-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 5, PerDeviceTrainBatchSize = 4, LoggingSteps = 5 };
var examples = new CpoDatasetPreparer(tokenizer, cpoConfig).Prepare(rows).Examples;
using var trainer = new CpoTrainer(model, cpoConfig, examples, padTokenId: 0);
var state = trainer.Train();
Directory.Delete(cpoConfig.OutputDir, recursive: true);
Console.WriteLine($"experimental consumer OK: CPO loss {state.LogHistory[^1]["loss"]:F3}, rewards/margins {state.LogHistory[^1]["rewards/margins"]:F3}");
