using Trl.Data;
using Trl.Xpo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl xpo</c>: exploratory preference optimization, policy samples against reference samples.</summary>
internal sealed class XpoCommand : OnlineTrainerCommand<XpoConfig>
{
    public override string Name => "xpo";
    public override string Summary => "exploratory preference optimization, policy samples against reference samples";
    public override string PackageId => "Trl.Experimental.Xpo";

    protected override XpoConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-xpo-output", LearningRate = 1e-3, MaxSteps = 100, PerDeviceTrainBatchSize = 32, MaxNewTokens = 12, Temperature = 1.0,
        LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override string Describe(XpoConfig config) => $"loss {config.LossType}, beta {string.Join("/", config.Beta)}, alpha {string.Join("/", config.Alpha)}";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, XpoConfig config) => new XpoDatasetPreparer(tokenizer);

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, XpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = ResolveRewards(config.MaxNewTokens, output);
        var model = run.LoadCausalLM(config.Seed);
        var reference = run.LoadReference(config.Seed, config);
        var trainer = new XpoTrainer(model, reference, config, examples, tokenizer, rewards);
        trainer.SamplesGenerated += samples => PrintSamples(samples, output);
        return new(trainer, model, [reference, .. rewards.OfType<IDisposable>()]);
    }
}
