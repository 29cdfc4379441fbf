using Trl.Data;
using Trl.Rloo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl rloo</c>: REINFORCE leave-one-out, online RL with reward functions and the KL in the reward.</summary>
internal sealed class RlooCommand : OnlineTrainerCommand<RlooConfig>
{
    public override string Name => "rloo";
    public override string Summary => "REINFORCE leave-one-out, online RL with reward functions and the KL in the reward";
    public override string PackageId => "Trl.Rloo";

    protected override RlooConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-rloo-output", LearningRate = 3e-3, MaxSteps = 200, PerDeviceTrainBatchSize = 64, NumGenerations = 8,
        MaxCompletionLength = 12, LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override string Describe(RlooConfig config) => $"{config.NumGenerations} generations each, beta {config.Beta}";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, RlooConfig config) => new RlooDatasetPreparer(tokenizer);

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, RlooConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = ResolveRewards(config.MaxCompletionLength, output);
        var model = run.LoadCausalLM(config.Seed);
        // A reference model only when the KL term needs one (TRL skips it at beta 0).
        var reference = config.Beta == 0.0 ? null : run.LoadReference(config.Seed, config);
        var trainer = new RlooTrainer(model, reference, config, examples, tokenizer, rewards);
        trainer.SamplesGenerated += samples => PrintSamples(samples, output);
        return new(trainer, model, [reference, .. rewards.OfType<IDisposable>()]);
    }
}
