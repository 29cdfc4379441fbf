using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Dpo;
using Trl.Modeling;
using Trl.Sft;
using Trl.Tokenization;

// Real code from the packed stable packages: a tiny model trained a few SFT steps, then a few DPO steps.
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
Console.WriteLine("stable consumer OK");
