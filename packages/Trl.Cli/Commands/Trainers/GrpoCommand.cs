using Trl.Data;
using Trl.Grpo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl grpo</c>: group relative policy optimization, online RL with reward functions.</summary>
internal sealed class GrpoCommand : OnlineTrainerCommand<GrpoConfig>
{
    public override string Name => "grpo";
    public override string Summary => "group relative policy optimization, online RL with reward functions";
    public override string PackageId => "Trl.Grpo";

    protected override GrpoConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-grpo-output", LearningRate = 3e-3, MaxSteps = 200, PerDeviceTrainBatchSize = 64, NumGenerations = 8,
        MaxCompletionLength = 12, LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override string Describe(GrpoConfig config) => $"{config.NumGenerations} generations each, loss {config.LossType}, beta {config.Beta}";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, GrpoConfig config) => new GrpoDatasetPreparer(tokenizer, config);

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, GrpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = ResolveRewards(config.MaxCompletionLength, output);
        var model = run.LoadCausalLM(config.Seed);
        // A reference model only when the KL term needs one (TRL skips it at beta 0).
        var reference = config.Beta == 0.0 ? null : run.LoadReference(config.Seed, config);
        var trainer = new GrpoTrainer(model, reference, config, examples, tokenizer, rewards);
        trainer.SamplesGenerated += samples => PrintSamples(samples, output);
        return new(trainer, model, [reference, .. rewards.OfType<IDisposable>()]);
    }
}
