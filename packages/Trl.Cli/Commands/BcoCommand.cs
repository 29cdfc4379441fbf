using Trl.Bco;
using Trl.Cli.Arguments;
using Trl.Data;

namespace Trl.Cli.Commands;

/// <summary><c>trl bco</c> (experimental, Trl.Experimental.Bco): binary classifier optimisation on
/// prompt/completion/label rows with a running-mean reward baseline.</summary>
internal static class BcoCommand
{
    static BcoConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-bco-output", LearningRate = 1e-3, MaxSteps = 150, PerDeviceTrainBatchSize = 16,
        LoggingSteps = 25, SaveSteps = 0, Seed = 42, MaxLength = 64,
    };

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "bco", new BcoConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "bco", new BcoConfig(), EmbeddedDefaults(), "unpaired.jsonl");
        ExperimentalNotice.Write(output, "bco", "Trl.Experimental.Bco");
        var tokenizer = run.LoadTokenizer();
        using var model = run.LoadCausalLM(config.Seed);
        using var reference = run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        int skipped = 0;
        var examples = run.Tokenize("bco", config, rows => DatasetLoader.PrepareAll(rows, r => BcoExample.Tokenize(r, tokenizer, config.MaxLength), config.BadRowPolicy, null, out skipped), out var origin);
        output.WriteLine($"trl bco: {examples.Count} examples from {run.DatasetPath} ({skipped} bad rows skipped{origin}); beta {config.Beta}; output {config.OutputDir}");
        using var trainer = new BcoTrainer(model, reference, config, examples, TrainingRun.PadTokenId(tokenizer));
        trainer.Callbacks.Add(new ConsoleReporter(output));
        var state = trainer.Train();
        run.Finish(model, config, state, output);
        return ExitCodes.Success;
    }
}
