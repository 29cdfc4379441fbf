using Trl.Data;
using Trl.Kto;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl kto</c>: prompt/completion/label rows, or preference rows unpaired. The embedded default learns from
/// correct (desirable) and wrong (undesirable) reversals.</summary>
internal sealed class KtoCommand : TrainerCommand<KtoConfig, KtoExample>
{
    public override string Name => "kto";
    public override string Summary => "Kahneman-Tversky optimization on unpaired labels";
    public override string PackageId => "Trl.Kto";
    protected override string EmbeddedDataset => "unpaired.jsonl";
    protected override KtoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new KtoConfig { MaxLength = 64 }, Name);
    protected override string Describe(KtoConfig config) => $"beta {config.Beta}";
    protected override DatasetPreparer<KtoExample> CreatePreparer(ITextTokenizer tokenizer, KtoConfig config) => new KtoDatasetPreparer(tokenizer, config);

    protected override TrainerSession<KtoExample> CreateTrainer(TrainingRun run, KtoConfig config, ITextTokenizer tokenizer, IReadOnlyList<KtoExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        var reference = config.PrecomputeRefLogProbs ? null : run.LoadReference(config.Seed, config);
        return new(new KtoTrainer(model, reference, config, examples, TrainingRun.PadTokenId(tokenizer)), model, reference);
    }
}
