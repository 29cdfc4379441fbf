using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Rewards;
using Trl.Training;

namespace Trl.Cli.Commands;

/// <summary>A subcommand of an online trainer (GRPO, RLOO, Online DPO, XPO, Nash-MD): prompt-only rows and reward
/// functions from <c>--reward_funcs</c> (built-in names or reward-model folders) and <c>--reward_model_name_or_path</c>
/// as in TRL's scripts; the embedded default rewards reversals of the prompt by their similarity to the solution.</summary>
internal abstract class OnlineTrainerCommand<TConfig> : TrainerCommand<TConfig, PromptExample> where TConfig : TrainingOptions, new()
{
    List<string> _rewardNames = new();

    protected override string EmbeddedDataset => "prompts.jsonl";

    /// <summary>The embedded reward's scale: trainers that turn score differences into probabilities (Nash-MD) expect
    /// reward-model logits, not a [0, 1] similarity.</summary>
    protected virtual double EmbeddedRewardScale => 1.0;

    public override IEnumerable<(string Key, string Default, string Help)> ExtraFields =>
    [
        ("reward_funcs", "similarity_reward on the embedded default", $"reward functions: {string.Join(", ", RewardFunctions.BuiltIn)}, or reward-model folders"),
        ("reward_model_name_or_path", "None", "a reward-model folder (sequence classifier) added to reward_funcs"),
        ("reward_model_path", "None", "the same, under the key TRL's online DPO / XPO / Nash-MD / PPO scripts use"),
    ];

    protected override void TakeArguments(CliArguments args)
    {
        _rewardNames = args.Values.Remove("reward_funcs", out var names) ? names : new List<string>();
        if (args.Take("reward_model_name_or_path") is { } rewardModel) _rewardNames.Add(rewardModel);
        RewardModelPath = args.Take("reward_model_path");
        if (RewardModelPath is not null) _rewardNames.Add(RewardModelPath);
    }

    bool _embeddedReward;

    /// <summary>The reward_model_path given (PPO also starts its value model from it).</summary>
    protected string? RewardModelPath { get; private set; }

    protected override void CheckRun(TrainingRun run, TConfig config)
    {
        if (_rewardNames.Count > 0) return;
        if (!run.Embedded) throw new CliException($"trl {Name} needs --reward_funcs (or --reward_model_name_or_path).");
        _rewardNames.Add("similarity_reward");
        _embeddedReward = true;
    }

    /// <summary>The reward functions of the run, printed once.</summary>
    protected List<IRewardFunction> ResolveRewards(int maxCompletionLength, TextWriter output)
    {
        var rewards = _rewardNames.Select(n => RewardFunctions.Resolve(n, maxCompletionLength)).ToList();
        if (_embeddedReward && EmbeddedRewardScale != 1.0)
            rewards = rewards.Select(r => (IRewardFunction)DelegateRewardFunction.Scaled(r, EmbeddedRewardScale)).ToList();
        output.WriteLine($"rewards: {string.Join(", ", rewards.Select(r => r.Name))}{(_embeddedReward && EmbeddedRewardScale != 1.0 ? $" (×{EmbeddedRewardScale} on the embedded default, a reward-model logit range)" : "")}");
        return rewards;
    }

    /// <summary>Prints each reported sample on one line.</summary>
    protected static void PrintSamples(IReadOnlyList<CompletionSample> samples, TextWriter output)
    {
        foreach (var s in samples)
            output.WriteLine($"  sample @ step {s.Step}: {Clip(s.Prompt)} -> {Clip(s.Completion)}  [{string.Join(", ", s.Rewards.Select(r => $"{r.Key} {r.Value:G3}"))}]");
    }

    static string Clip(string text) => (text.Length > 60 ? text[..57] + "..." : text).ReplaceLineEndings(" ");
}
