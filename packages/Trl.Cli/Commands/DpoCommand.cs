using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Dpo;
using Trl.Modeling;

namespace Trl.Cli.Commands;

/// <summary><c>trl dpo</c>: preference optimisation against a frozen copy of the starting model. The embedded
/// default learns to prefer correct reversals over wrong ones.</summary>
internal static class DpoCommand
{
    static DpoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new DpoConfig { MaxLength = 64 }, "dpo");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "dpo", new DpoConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "dpo", new DpoConfig(), EmbeddedDefaults(), "preference.jsonl");
        var tokenizer = run.LoadTokenizer();
        // The reference is a separately built copy of the same starting weights.
        using var model = run.LoadCausalLM(config.Seed);
        // With precompute_ref_log_probs the starting policy scores the dataset once and no reference stays in memory.
        using var reference = config.PrecomputeRefLogProbs ? null : run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        var eos = tokenizer.Special.EosToken;
        int skipped = 0;
        List<PreferenceExample> Prepare(IEnumerable<DatasetRow> rows) => DatasetLoader.PrepareAll(rows, r => PreferenceRows.Tokenize(r, tokenizer, eos), config.BadRowPolicy, null, out skipped);
        var pairs = run.Tokenize("dpo", config, Prepare, out var origin);
        output.WriteLine($"trl dpo: {pairs.Count} pairs from {run.DatasetPath} ({skipped} bad rows skipped{origin}); loss {string.Join("+", config.LossType)}, beta {config.Beta}; output {config.OutputDir}");
        using var trainer = new DpoTrainer(model, reference, config, pairs, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("dpo", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }
}
