using Trl.Data;
using Trl.Modeling;
using Trl.Ppo;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl ppo</c>: PPO with a value model. As TRL's script, <c>reward_model_path</c> is both the reward model
/// and the value model's starting point (a one-label sequence classifier); without it the value model is the policy's
/// backbone with a new head, and the rewards come from reward_funcs. Saves the policy to output_dir and the value model
/// to output_dir/value_model.</summary>
internal sealed class PpoCommand : OnlineTrainerCommand<PpoConfig>
{
    SequenceClassifier? _value;

    public override string Name => "ppo";
    public override string Summary => "proximal policy optimization with a value model, GAE and a per-token KL penalty";
    public override string PackageId => "Trl.Experimental.Ppo";

    protected override PpoConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-ppo-output", LearningRate = 3e-3, MaxSteps = 400, PerDeviceTrainBatchSize = 32, GradientAccumulationSteps = 2,
        ResponseLength = 12, StopToken = "eos", Temperature = 1.0, LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override string Describe(PpoConfig config) => $"{config.NumPpoEpochs} PPO epochs per rollout of {config.RolloutBatchSize}, kl_coef {config.KlCoef} ({config.KlEstimator})";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, PpoConfig config) => new PromptDatasetPreparer(tokenizer);

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, PpoConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = ResolveRewards(config.ResponseLength, output);
        var model = run.LoadCausalLM(config.Seed);
        var reference = run.LoadReference(config.Seed, config);
        _value = RewardModelPath is not null ? SequenceClassifier.FromPretrained(ModelFolders.Resolve(RewardModelPath, null).BasePath, 1, config.Seed)
            : run.Embedded ? SequenceClassifier.FromConfig(run.EmbeddedModelConfig(), 1, config.Seed)
            : SequenceClassifier.FromPretrained(run.ModelPath!, 1, config.Seed);
        var trainer = new PpoTrainer(model, reference, _value, config, examples, tokenizer, rewards);
        return new(trainer, model, [reference, _value, .. rewards.OfType<IDisposable>()]);
    }

    protected override void AfterTraining(TrainingRun run, TrainerSession<PromptExample> session, ITextTokenizer tokenizer, TextWriter output)
    {
        var dir = Path.Combine(((PpoTrainer)session.Trainer).Options.OutputDir, "value_model");
        _value!.SavePretrained(dir);
        output.WriteLine($"saved value model to {Path.GetFullPath(dir)}");
    }
}
