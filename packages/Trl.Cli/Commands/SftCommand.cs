using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Generation;
using Trl.Modeling;
using Trl.Sft;
using Trl.Tokenization;

namespace Trl.Cli.Commands;

/// <summary><c>trl sft</c>: supervised fine-tuning from a TRL-style config. With no model and no dataset it trains
/// the embedded tiny model on the embedded string-reversal task.</summary>
internal static class SftCommand
{
    /// <summary>Defaults of the embedded run: a from-scratch tiny model needs a higher rate than TRL's 2e-5.</summary>
    static SftConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-sft-output", LearningRate = 3e-3, MaxSteps = 500, PerDeviceTrainBatchSize = 32,
        LoggingSteps = 25, SaveSteps = 0, WarmupRatio = 0.05, Seed = 42, MaxLength = 64,
    };

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "sft", new SftConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "sft", new SftConfig(), EmbeddedDefaults(), "train.jsonl");
        var tokenizer = run.LoadTokenizer();
        using var model = run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        var preparer = new SftDatasetPreparer(tokenizer, config);
        int skipped = 0;
        List<TokenizedExample> Prepare(IEnumerable<DatasetRow> rows) => preparer.Pack(DatasetLoader.PrepareAll(rows, preparer.Prepare, config.BadRowPolicy, null, out skipped));
        var examples = run.Tokenize("sft", config, Prepare, out var origin);
        output.WriteLine($"trl sft: {examples.Count} examples from {run.DatasetPath} ({skipped} bad rows skipped{origin}); model {(run.Embedded ? "embedded tiny qwen2 (random init)" : run.ModelPath)}; output {config.OutputDir}");

        string? embeddedDir = run.EmbeddedDir;
        bool embedded = run.Embedded;
        double? before = embedded ? ReversalAccuracy(model, tokenizer, embeddedDir!) : null;
        using var trainer = new SftTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("sft", config, Prepare) };
        run.Train(trainer, model, config, output);
        if (embedded)
        {
            double after = ReversalAccuracy(model, tokenizer, embeddedDir!);
            output.WriteLine($"held-out reversal exact match: {before:P0} before training -> {after:P0} after");
        }
        output.WriteLine($"saved model to {Path.GetFullPath(config.OutputDir)}");
        return ExitCodes.Success;
    }

    /// <summary>Greedy exact-match accuracy on the embedded held-out reversal prompts: the task is verifiable.</summary>
    static double ReversalAccuracy(CausalLM model, ITextTokenizer tokenizer, string dir)
    {
        var rows = DatasetLoader.Read(Path.Combine(dir, "test.jsonl")).ToList();
        var prompts = rows.Select(r => tokenizer.Encode(r.GetString("prompt"))).ToList();
        var result = new TextGenerator(model).Generate(prompts, new GenerationOptions
        {
            DoSample = false, MaxNewTokens = 8, EosTokenIds = new[] { tokenizer.Special.EosTokenId ?? 1 }, PadTokenId = tokenizer.Special.PadTokenId ?? 0,
        });
        int correct = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var expected = tokenizer.Encode(rows[i].GetString("completion")).ToList();
            var got = result.CompletionIds[i].Where(id => id != (tokenizer.Special.EosTokenId ?? 1)).ToList();
            if (got.SequenceEqual(expected)) correct++;
        }
        return (double)correct / rows.Count;
    }
}
