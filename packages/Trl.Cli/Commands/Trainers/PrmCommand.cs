using Trl.Data;
using Trl.Prm;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl prm</c>: a process reward model trained on stepwise supervision (prompt, completions list, labels
/// list) as token classification at each step's end; a causal LM folder gets a new two-label head. The embedded default
/// labels each step of a reversal right or wrong.</summary>
internal sealed class PrmCommand : TrainerCommand<PrmConfig, PrmExample>
{
    public override string Name => "prm";
    public override string Summary => "process reward modelling on stepwise supervision";
    public override string PackageId => "Trl.Experimental.Prm";
    protected override string EmbeddedDataset => "stepwise.jsonl";
    protected override PrmConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new PrmConfig { MaxLength = 64 }, Name);
    protected override DatasetPreparer<PrmExample> CreatePreparer(ITextTokenizer tokenizer, PrmConfig config) => new PrmDatasetPreparer(tokenizer, config);

    protected override TrainerSession<PrmExample> CreateTrainer(TrainingRun run, PrmConfig config, ITextTokenizer tokenizer, IReadOnlyList<PrmExample> examples, TextWriter output)
    {
        var model = run.LoadTokenClassifier(numLabels: 2, config.Seed);
        return new(new PrmTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)), model);
    }
}
