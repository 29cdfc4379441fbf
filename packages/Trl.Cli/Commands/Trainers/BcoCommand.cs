using Trl.Bco;
using Trl.Data;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl bco</c>: binary classifier optimisation on prompt/completion/label rows with a running-mean reward baseline.</summary>
internal sealed class BcoCommand : TrainerCommand<BcoConfig, BcoExample>
{
    public override string Name => "bco";
    public override string Summary => "binary classifier optimization";
    public override string PackageId => "Trl.Experimental.Bco";
    protected override string EmbeddedDataset => "unpaired.jsonl";
    protected override BcoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new BcoConfig { MaxLength = 64 }, Name);
    protected override string Describe(BcoConfig config) => $"beta {config.Beta}";
    protected override DatasetPreparer<BcoExample> CreatePreparer(ITextTokenizer tokenizer, BcoConfig config) => new BcoDatasetPreparer(tokenizer, config);

    protected override TrainerSession<BcoExample> CreateTrainer(TrainingRun run, BcoConfig config, ITextTokenizer tokenizer, IReadOnlyList<BcoExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        var reference = run.LoadReference(config.Seed, config);
        return new(new BcoTrainer(model, reference, config, examples, TrainingRun.PadTokenId(tokenizer)), model, reference);
    }
}
