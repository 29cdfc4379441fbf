using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Kto;
using Trl.Modeling;
using Trl.Rloo;
using Trl.Tokenization;

namespace OldLibrary;

/// <summary>Code written against the experimental packages: a few KTO steps, and an RLOO config.</summary>
public static class OldTraining
{
    public static string Run(string modelDir)
    {
        var tokenizer = TokenizerLoader.FromPretrained(modelDir);
        var config = ModelConfig.Load(Path.Combine(modelDir, "config.json"));
        using var model = CausalLM.FromConfig(config, seed: 0);
        using var reference = CausalLM.FromConfig(config, seed: 0);
        var rows = new[] { (" b a", true), (" a b", false), (" c b a", true), (" a b c", false) }
            .Select((r, i) => new DatasetRow(new JsonObject { ["prompt"] = "reverse : a b :", ["completion"] = r.Item1, ["label"] = r.Item2 }, "memory", i + 1));
        var ktoConfig = new KtoConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-oldkto-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 3, PerDeviceTrainBatchSize = 4, LoggingSteps = 3 };
        var examples = new KtoDatasetPreparer(tokenizer, ktoConfig).Prepare(rows).Examples;
        using var trainer = new KtoTrainer(model, reference, ktoConfig, examples, padTokenId: 0);
        var state = trainer.Train();
        Directory.Delete(ktoConfig.OutputDir, recursive: true);
        var rloo = new RlooConfig { NumGenerations = 4 };
        return $"KTO loss {state.LogHistory[^1]["loss"]:F3} from {typeof(KtoTrainer).Assembly.GetName().Name}, RlooConfig(num_generations={rloo.NumGenerations}) from {typeof(RlooConfig).Assembly.GetName().Name}";
    }
}
