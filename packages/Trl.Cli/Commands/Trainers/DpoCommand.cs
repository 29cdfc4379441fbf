using Trl.Data;
using Trl.Dpo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl dpo</c>: preference optimisation against a frozen copy of the starting model (or precomputed
/// reference log-probs). The embedded default learns to prefer correct reversals over wrong ones.</summary>
internal sealed class DpoCommand : TrainerCommand<DpoConfig, PreferenceExample>
{
    public override string Name => "dpo";
    public override string Summary => "direct preference optimization";
    public override string PackageId => "Trl.Dpo";
    protected override string EmbeddedDataset => "preference.jsonl";
    protected override DpoConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new DpoConfig { MaxLength = 64 }, Name);
    protected override string Describe(DpoConfig config) => $"loss {string.Join("+", config.LossType)}, beta {config.Beta}";
    protected override DatasetPreparer<PreferenceExample> CreatePreparer(ITextTokenizer tokenizer, DpoConfig config) => new DpoDatasetPreparer(tokenizer, config);

    protected override TrainerSession<PreferenceExample> CreateTrainer(TrainingRun run, DpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<PreferenceExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        // With precompute_ref_log_probs the starting policy scores the dataset once and no reference stays in memory.
        var reference = config.PrecomputeRefLogProbs ? null : run.LoadReference(config.Seed, config);
        return new(new DpoTrainer(model, reference, config, examples, TrainingRun.PadTokenId(tokenizer)), model, reference);
    }
}
