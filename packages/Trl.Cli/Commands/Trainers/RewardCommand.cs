using Trl.Data;
using Trl.Reward;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl reward</c>: trains a one-output sequence classifier on preference pairs (a causal LM folder gets a
/// new one-label head, as TRL's RewardTrainer does). The embedded default learns to score correct reversals above
/// wrong ones.</summary>
internal sealed class RewardCommand : TrainerCommand<RewardConfig, RewardExample>
{
    public override string Name => "reward";
    public override string Summary => "reward modelling";
    public override string PackageId => "Trl.Reward";
    protected override string EmbeddedDataset => "preference.jsonl";
    protected override RewardConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new RewardConfig { MaxLength = 64 }, Name);
    protected override DatasetPreparer<RewardExample> CreatePreparer(ITextTokenizer tokenizer, RewardConfig config) => new RewardDatasetPreparer(tokenizer, config);

    protected override TrainerSession<RewardExample> CreateTrainer(TrainingRun run, RewardConfig config, ITextTokenizer tokenizer, IReadOnlyList<RewardExample> examples, TextWriter output)
    {
        var model = run.LoadSequenceClassifier(numLabels: 1, config.Seed);
        return new(new RewardTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)), model);
    }
}
