using Trl.Cli.Arguments;
using Trl.Cpo;
using Trl.Data;

namespace Trl.Cli.Commands;

/// <summary><c>trl cpo</c> (experimental, Trl.Experimental.Cpo): contrastive preference optimisation without a
/// reference model (SimPO and AlphaPO through loss_type).</summary>
internal static class CpoCommand
{
    static CpoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new CpoConfig { MaxLength = 64 }, "cpo");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "cpo", new CpoConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "cpo", new CpoConfig(), EmbeddedDefaults(), "preference.jsonl");
        ExperimentalNotice.Write(output, "cpo", "Trl.Experimental.Cpo");
        var tokenizer = run.LoadTokenizer();
        using var model = run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        int skipped = 0;
        List<LegacyPreferenceExample> Prepare(IEnumerable<DatasetRow> rows) => DatasetLoader.PrepareAll(rows, r => LegacyPreferenceExample.Tokenize(r, tokenizer, config.MaxLength), config.BadRowPolicy, null, out skipped);
        var pairs = run.Tokenize("cpo", config, Prepare, out var origin);
        output.WriteLine($"trl cpo: {pairs.Count} pairs from {run.DatasetPath} ({skipped} bad rows skipped{origin}); loss {config.LossType}, beta {config.Beta}; output {config.OutputDir}");
        using var trainer = new CpoTrainer(model, config, pairs, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("cpo", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }
}
