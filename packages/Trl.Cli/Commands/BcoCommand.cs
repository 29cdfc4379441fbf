using Trl.Bco;
using Trl.Cli.Arguments;
using Trl.Data;

namespace Trl.Cli.Commands;

/// <summary><c>trl bco</c> (experimental, Trl.Experimental.Bco): binary classifier optimisation on
/// prompt/completion/label rows with a running-mean reward baseline.</summary>
internal static class BcoCommand
{
    static BcoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new BcoConfig { MaxLength = 64 }, "bco");

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
        List<BcoExample> Prepare(IEnumerable<DatasetRow> rows) => DatasetLoader.PrepareAll(rows, r => BcoExample.Tokenize(r, tokenizer, config.MaxLength), config.BadRowPolicy, null, out skipped);
        var examples = run.Tokenize("bco", config, Prepare, out var origin);
        output.WriteLine($"trl bco: {examples.Count} examples from {run.DatasetPath} ({skipped} bad rows skipped{origin}); beta {config.Beta}; output {config.OutputDir}");
        using var trainer = new BcoTrainer(model, reference, config, examples, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("bco", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }
}
