using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Dpo;
using Trl.Kto;
using Trl.Modeling;
using Trl.Rewards;
using Trl.Rloo;
using Trl.Sft;
using Trl.Tokenization;

// Real code from the packed stable packages: a tiny model trained a few SFT steps, then a few DPO steps; then KTO and
// RLOO from the packages they were promoted to (Trl.Kto, Trl.Rloo).
// The embedded default's tokenizer and model shape (smoke.sh points TRL_SMOKE_MODEL at them): real files, loaded as a user would.
var modelDir = Environment.GetEnvironmentVariable("TRL_SMOKE_MODEL") ?? throw new InvalidOperationException("set TRL_SMOKE_MODEL");
var tokenizer = TokenizerLoader.FromPretrained(modelDir);
var config = ModelConfig.Load(Path.Combine(modelDir, "config.json"));
var outDir = Path.Combine(Path.GetTempPath(), $"smoke-{Guid.NewGuid():N}");
using var model = CausalLM.FromConfig(config, seed: 0);

var sftConfig = new SftConfig { OutputDir = outDir, LearningRate = 1e-2, MaxSteps = 20, PerDeviceTrainBatchSize = 4, LoggingSteps = 20 };
var rows = new[] { "a b c", "b c d", "c a b", "d d a" }.Select((s, i) => new DatasetRow(
    new JsonObject { ["prompt"] = $"reverse : {s} :", ["completion"] = " " + string.Join(" ", s.Split(' ').Reverse()) }, "memory", i + 1)).ToList();
var preparer = new SftDatasetPreparer(tokenizer, sftConfig);
using (var sft = new SftTrainer(model, sftConfig, preparer.Prepare(rows).Examples, padTokenId: 0))
{
    var state = sft.Train();
    Console.WriteLine($"SFT: loss {state.LogHistory[^1]["loss"]:F3} after {state.GlobalStep} steps");
}
model.SavePretrained(outDir);

using var reference = CausalLM.FromPretrained(outDir);
var pairs = rows.Select(r => PreferenceRows.Tokenize(new DatasetRow(new JsonObject
{
    ["prompt"] = r.GetString("prompt"), ["chosen"] = r.GetString("completion"), ["rejected"] = " a a a",
}, "memory", r.RowNumber), tokenizer, "<eos>")).ToList();
var dpoConfig = new DpoConfig { OutputDir = outDir, LearningRate = 1e-3, MaxSteps = 5, PerDeviceTrainBatchSize = 4, LoggingSteps = 5 };
using (var dpo = new DpoTrainer(model, reference, dpoConfig, pairs, padTokenId: 0))
{
    var state = dpo.Train();
    Console.WriteLine($"DPO: loss {state.LogHistory[^1]["loss"]:F3}, rewards/accuracies {state.LogHistory[^1]["rewards/accuracies"]:F2}");
}
Directory.Delete(outDir, recursive: true);

using var ktoReference = CausalLM.FromConfig(config, seed: 0);
var unpaired = new[] { (" b a", true), (" a b", false), (" c b a", true), (" a b c", false) }
    .Select((r, i) => new DatasetRow(new JsonObject { ["prompt"] = "reverse : a b :", ["completion"] = r.Item1, ["label"] = r.Item2 }, "memory", i + 1));
var ktoConfig = new KtoConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-kto-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 5, PerDeviceTrainBatchSize = 4, LoggingSteps = 5 };
var examples = new KtoDatasetPreparer(tokenizer, ktoConfig).Prepare(unpaired).Examples;
using var kto = new KtoTrainer(model, ktoReference, ktoConfig, examples, padTokenId: 0);
var ktoState = kto.Train();
Directory.Delete(ktoConfig.OutputDir, recursive: true);
Console.WriteLine($"KTO: loss {ktoState.LogHistory[^1]["loss"]:F3}, rewards/margins {ktoState.LogHistory[^1]["rewards/margins"]:F3}");

// A few RLOO steps (online: sampling, a reward delegate, leave-one-out).
using var policy = CausalLM.FromConfig(config, seed: 1);
var rlooConfig = new RlooConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-rloo-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 3,
    PerDeviceTrainBatchSize = 4, NumGenerations = 4, MaxCompletionLength = 4, Beta = 0, LoggingSteps = 3 };
var prompts = new RlooDatasetPreparer(tokenizer).Prepare(Enumerable.Range(1, 4).Select(i => new DatasetRow(new JsonObject { ["prompt"] = "reverse : a b c :" }, "memory", i)));
var startsWithC = DelegateRewardFunction.PerCompletion("starts_with_c", (text, _, _) => text.TrimStart().StartsWith('c') ? 1.0 : 0.0);
using var rloo = new RlooTrainer(policy, null, rlooConfig, prompts.Examples, tokenizer, new IRewardFunction[] { startsWithC });
var rlooState = rloo.Train();
Directory.Delete(rlooConfig.OutputDir, recursive: true);
Console.WriteLine($"RLOO: reward {rlooState.LogHistory[^1]["reward"]:F3} after {rlooState.GlobalStep} steps");
Console.WriteLine("stable consumer OK");

