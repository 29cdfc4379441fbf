using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Rloo;
using Trl.Rewards;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl rloo</c>: RLOO from prompts and reward functions (<c>--reward_funcs</c>: built-in names or
/// reward-model folders; <c>--reward_model_name_or_path</c> as in TRL's script). The embedded default rewards reversals
/// of the prompt by their similarity to the solution column.</summary>
internal sealed class RlooCommand : TrainerCommand<RlooConfig, PromptExample>
{
    List<string> _rewardNames = new();

    public override string Name => "rloo";
    public override string Summary => "REINFORCE leave-one-out, online RL with reward functions and the KL in the reward";
    public override string PackageId => "Trl.Experimental.Rloo";
    protected override string EmbeddedDataset => "prompts.jsonl";

    public override IEnumerable<(string Key, string Default, string Help)> ExtraFields =>
    [
        ("reward_funcs", "similarity_reward on the embedded default", $"reward functions: {string.Join(", ", RewardFunctions.BuiltIn)}, or reward-model folders"),
        ("reward_model_name_or_path", "None", "a reward-model folder (sequence classifier) added to reward_funcs"),
    ];

    protected override RlooConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-rloo-output", LearningRate = 3e-3, MaxSteps = 200, PerDeviceTrainBatchSize = 64, NumGenerations = 8,
        MaxCompletionLength = 12, LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override void TakeArguments(CliArguments args)
    {
        _rewardNames = args.Values.Remove("reward_funcs", out var names) ? names : new List<string>();
        if (args.Take("reward_model_name_or_path") is { } rewardModel) _rewardNames.Add(rewardModel);
    }

    protected override string Describe(RlooConfig config) => $"{config.NumGenerations} generations each, beta {config.Beta}";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, RlooConfig config) => new RlooDatasetPreparer(tokenizer);

    protected override void CheckRun(TrainingRun run, RlooConfig config)
    {
        if (_rewardNames.Count > 0) return;
        if (!run.Embedded) throw new CliException("trl rloo needs --reward_funcs (or --reward_model_name_or_path).");
        _rewardNames.Add("similarity_reward");
    }

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, RlooConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = _rewardNames.Select(n => RewardFunctions.Resolve(n, config.MaxCompletionLength)).ToList();
        output.WriteLine($"rewards: {string.Join(", ", rewards.Select(r => r.Name))}");
        var model = run.LoadCausalLM(config.Seed);
        // A reference model only when the KL term needs one (TRL skips it at beta 0).
        var reference = config.Beta == 0.0 ? null : run.LoadReference(config.Seed, config);
        var trainer = new RlooTrainer(model, reference, config, examples, tokenizer, rewards);
        trainer.SamplesGenerated += samples =>
        {
            foreach (var s in samples)
                output.WriteLine($"  sample @ step {s.Step}: {Clip(s.Prompt)} -> {Clip(s.Completion)}  [{string.Join(", ", s.Rewards.Select(r => $"{r.Key} {r.Value:G3}"))}]");
        };
        return new(trainer, model, [reference, .. rewards.OfType<IDisposable>()]);
    }

    static string Clip(string text) => (text.Length > 60 ? text[..57] + "..." : text).ReplaceLineEndings(" ");
}
