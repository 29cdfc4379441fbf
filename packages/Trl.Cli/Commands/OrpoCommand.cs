using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Orpo;

namespace Trl.Cli.Commands;

/// <summary><c>trl orpo</c> (experimental, Trl.Experimental.Orpo): NLL on the chosen answer plus the odds-ratio
/// preference term, no reference model.</summary>
internal static class OrpoCommand
{
    static OrpoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new OrpoConfig { MaxLength = 64 }, "orpo");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "orpo", new OrpoConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "orpo", new OrpoConfig(), EmbeddedDefaults(), "preference.jsonl");
        ExperimentalNotice.Write(output, "orpo", "Trl.Experimental.Orpo");
        var tokenizer = run.LoadTokenizer();
        using var model = run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        int skipped = 0;
        List<LegacyPreferenceExample> Prepare(IEnumerable<DatasetRow> rows) => DatasetLoader.PrepareAll(rows, r => LegacyPreferenceExample.Tokenize(r, tokenizer, config.MaxLength), config.BadRowPolicy, null, out skipped);
        var pairs = run.Tokenize("orpo", config, Prepare, out var origin);
        output.WriteLine($"trl orpo: {pairs.Count} pairs from {run.DatasetPath} ({skipped} bad rows skipped{origin}); beta {config.Beta}; output {config.OutputDir}");
        using var trainer = new OrpoTrainer(model, config, pairs, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("orpo", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }
}
