using Trl.Cpo;
using Trl.Data;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl cpo</c>: contrastive preference optimisation (and SimPO / AlphaPO) on preference rows, no reference.</summary>
internal sealed class CpoCommand : TrainerCommand<CpoConfig, CpoExample>
{
    public override string Name => "cpo";
    public override string Summary => "contrastive preference optimization, SimPO, AlphaPO";
    public override string PackageId => "Trl.Experimental.Cpo";
    protected override string EmbeddedDataset => "preference.jsonl";
    protected override CpoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new CpoConfig { MaxLength = 64 }, Name);
    protected override string Describe(CpoConfig config) => $"loss {config.LossType}, beta {config.Beta}";
    protected override DatasetPreparer<CpoExample> CreatePreparer(ITextTokenizer tokenizer, CpoConfig config) => new CpoDatasetPreparer(tokenizer, config);

    protected override TrainerSession<CpoExample> CreateTrainer(TrainingRun run, CpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<CpoExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        return new(new CpoTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)), model);
    }
}
