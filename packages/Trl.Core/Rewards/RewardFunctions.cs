namespace Trl.Rewards;

/// <summary>The ready-made rewards by the names TRL configs use in <c>reward_funcs</c> (TRL's <c>trl.rewards</c>), and
/// reward-model folders.</summary>
public static class RewardFunctions
{
    /// <summary>Names of the built-in rewards.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = new[] { "accuracy_reward", "think_format_reward", "soft_overlong_punishment", "similarity_reward" };

    /// <summary>Resolves a name (optionally prefixed <c>trl.rewards.</c>), a local reward-model folder or a Hub reward model.
    /// <paramref name="maxCompletionLength"/> sizes the soft overlong punishment (its last quarter is the soft zone).</summary>
    public static IRewardFunction Resolve(string name, int maxCompletionLength)
    {
        ArgumentNullException.ThrowIfNull(name);
        var shortName = name.StartsWith("trl.rewards.", StringComparison.Ordinal) ? name["trl.rewards.".Length..] : name;
        return shortName switch
        {
            "accuracy_reward" => new AccuracyReward(),
            "think_format_reward" => new ThinkFormatReward(),
            "soft_overlong_punishment" or "get_soft_overlong_punishment" =>
                new SoftOverlongPunishment(maxCompletionLength, Math.Max(1, maxCompletionLength / 4)),
            "similarity_reward" => new SimilarityReward(),
            _ when Directory.Exists(name) => RewardModelFunction.FromPretrained(name),
            // A Hub id, as TRL takes one: resolved through the Hugging Face cache (downloaded when missing).
            _ when Hub.HubPaths.IsRepoId(name) => RewardModelFunction.FromPretrained(Hub.HubPaths.ResolveModel(name, progress: Console.Error)),
            _ => throw new ArgumentException($"reward function '{name}' is neither a built-in reward ({string.Join(", ", BuiltIn)}), a reward-model folder, nor a Hub id (org/name)."),
        };
    }
}
