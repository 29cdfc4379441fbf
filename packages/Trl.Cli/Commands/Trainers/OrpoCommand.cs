using Trl.Data;
using Trl.Orpo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl orpo</c>: odds-ratio preference optimisation on preference rows, no reference.</summary>
internal sealed class OrpoCommand : TrainerCommand<OrpoConfig, OrpoExample>
{
    public override string Name => "orpo";
    public override string Summary => "odds-ratio preference optimization";
    public override string PackageId => "Trl.Experimental.Orpo";
    protected override string EmbeddedDataset => "preference.jsonl";
    protected override OrpoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new OrpoConfig { MaxLength = 64 }, Name);
    protected override string Describe(OrpoConfig config) => $"beta {config.Beta}";
    protected override DatasetPreparer<OrpoExample> CreatePreparer(ITextTokenizer tokenizer, OrpoConfig config) => new OrpoDatasetPreparer(tokenizer, config);

    protected override TrainerSession<OrpoExample> CreateTrainer(TrainingRun run, OrpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<OrpoExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        return new(new OrpoTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)), model);
    }
}
