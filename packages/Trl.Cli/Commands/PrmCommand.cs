using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Modeling;
using Trl.Prm;

namespace Trl.Cli.Commands;

/// <summary><c>trl prm</c> (experimental, Trl.Experimental.Prm): a process reward model trained on stepwise
/// supervision (prompt, completions list, labels list) as token classification at each step's end. A causal LM
/// folder gets a fresh two-label head. The embedded default labels each step of a reversal right or wrong.</summary>
internal static class PrmCommand
{
    static PrmConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new PrmConfig { MaxLength = 64 }, "prm");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "prm", new PrmConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "prm", new PrmConfig(), EmbeddedDefaults(), "stepwise.jsonl");
        ExperimentalNotice.Write(output, "prm", "Trl.Experimental.Prm");
        var tokenizer = run.LoadTokenizer();
        using var model = run.Embedded ? NewTokenClassifier(run.EmbeddedModelConfig(), config.Seed) : TokenClassifier.FromCausalLM(run.ModelPath!, numLabels: 2, config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        int skipped = 0;
        List<PrmExample> Prepare(IEnumerable<DatasetRow> rows) => DatasetLoader.PrepareAll(rows, r => PrmExample.Tokenize(r, tokenizer, config), config.BadRowPolicy, null, out skipped);
        var examples = run.Tokenize("prm", config, Prepare, out var origin);
        output.WriteLine($"trl prm: {examples.Count} examples from {run.DatasetPath} ({skipped} bad rows skipped{origin}); output {config.OutputDir}");
        using var trainer = new PrmTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("prm", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }

    static TokenClassifier NewTokenClassifier(ModelConfig lm, long seed)
    {
        var raw = (System.Text.Json.Nodes.JsonObject)lm.Raw.DeepClone();
        raw["num_labels"] = 2;
        raw["architectures"] = new System.Text.Json.Nodes.JsonArray("Qwen2ForTokenClassification");
        TorchSharp.torch.manual_seed(seed);
        return new TokenClassifier(ModelConfig.FromJson(raw));
    }
}
