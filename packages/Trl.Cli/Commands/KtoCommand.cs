using Trl.Data;
using Trl.Cli.Arguments;
using Trl.Kto;

namespace Trl.Cli.Commands;

/// <summary><c>trl kto</c> (experimental, Trl.Experimental.Kto): prompt/completion/label rows, or preference rows
/// unpaired. The embedded default learns from correct (desirable) and wrong (undesirable) reversals.</summary>
internal static class KtoCommand
{
    static KtoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new KtoConfig { MaxLength = 64 }, "kto");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "kto", new KtoConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "kto", new KtoConfig(), EmbeddedDefaults(), "unpaired.jsonl");
        ExperimentalNotice.Write(output, "kto", "Trl.Experimental.Kto");
        var tokenizer = run.LoadTokenizer();
        using var model = run.LoadCausalLM(config.Seed);
        using var reference = config.PrecomputeRefLogProbs ? null : run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        var preparer = new KtoDatasetPreparer(tokenizer, config);
        List<KtoExample> Prepare(IEnumerable<DatasetRow> rows) => preparer.Prepare(rows, config.BadRowPolicy);
        var examples = run.Tokenize("kto", config, Prepare, out var origin);
        output.WriteLine($"trl kto: {examples.Count} examples from {run.DatasetPath} ({preparer.Dropped} dropped{origin}); beta {config.Beta}; output {config.OutputDir}");
        using var trainer = new KtoTrainer(model, reference, config, examples, TrainingRun.PadTokenId(tokenizer)) { EvalDataset = run.TokenizeEval("kto", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }
}
