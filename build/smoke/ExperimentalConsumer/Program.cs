using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Kto;
using Trl.Modeling;
using Trl.Tokenization;

// A few KTO steps from the packed prerelease package, next to the stable ones.
var words = new[] { "<pad>", "<eos>", "<unk>", "the", "sky", "is", "blue", "green", "." };
var tokenizer = new WordLevelTokenizer(words.Select((w, i) => (w, (long)i)).ToDictionary(x => x.w, x => x.Item2),
    new[] { ("<pad>", 0L, true), ("<eos>", 1L, true), ("<unk>", 2L, true) }, "<unk>", lowercase: true,
    new SpecialTokens { PadToken = "<pad>", PadTokenId = 0, EosToken = "<eos>", EosTokenId = 1 });
var config = ModelConfig.FromJson(JsonNode.Parse("""
    {"model_type":"llama","vocab_size":9,"hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,
     "num_attention_heads":2,"num_key_value_heads":1,"tie_word_embeddings":false,"pad_token_id":0,"eos_token_id":1}
    """)!.AsObject());
using var model = CausalLM.FromConfig(config, seed: 0);
using var reference = CausalLM.FromConfig(config, seed: 0);
var rows = new[] { (" blue .", true), (" green .", false), (" blue blue .", true), (" green green .", false) }
    .Select((r, i) => new DatasetRow(new JsonObject { ["prompt"] = "the sky is", ["completion"] = r.Item1, ["label"] = r.Item2 }, "memory", i + 1));
var ktoConfig = new KtoConfig { OutputDir = Path.Combine(Path.GetTempPath(), $"smoke-kto-{Guid.NewGuid():N}"), LearningRate = 1e-3, MaxSteps = 5, PerDeviceTrainBatchSize = 4, LoggingSteps = 5 };
var examples = new KtoDatasetPreparer(tokenizer, ktoConfig).Prepare(rows);
using var trainer = new KtoTrainer(model, reference, ktoConfig, examples, padTokenId: 0);
var state = trainer.Train();
Directory.Delete(ktoConfig.OutputDir, recursive: true);
Console.WriteLine($"experimental consumer OK: KTO loss {state.LogHistory[^1]["loss"]:F3}, rewards/margins {state.LogHistory[^1]["rewards/margins"]:F3}");
