using Trl.Data;
using Trl.OnlineDpo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl online-dpo</c>: online DPO, two sampled completions per prompt ranked by reward functions.</summary>
internal sealed class OnlineDpoCommand : OnlineTrainerCommand<OnlineDpoConfig>
{
    public override string Name => "online-dpo";
    public override string Summary => "online DPO, two sampled completions per prompt ranked by reward functions";
    public override string PackageId => "Trl.Experimental.OnlineDpo";

    protected override OnlineDpoConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-online-dpo-output", LearningRate = 1e-3, MaxSteps = 100, MaxLength = 64, PerDeviceTrainBatchSize = 32, MaxNewTokens = 12, Temperature = 1.0,
        LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override string Describe(OnlineDpoConfig config) => $"loss {config.LossType}, beta {string.Join("/", config.Beta)}";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, OnlineDpoConfig config) => new OnlineDpoDatasetPreparer(tokenizer);

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, OnlineDpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = ResolveRewards(config.MaxNewTokens, output);
        var model = run.LoadCausalLM(config.Seed);
        var reference = run.LoadReference(config.Seed, config);
        var trainer = new OnlineDpoTrainer(model, reference, config, examples, tokenizer, rewards);
        trainer.SamplesGenerated += samples => PrintSamples(samples, output);
        return new(trainer, model, [reference, .. rewards.OfType<IDisposable>()]);
    }
}
