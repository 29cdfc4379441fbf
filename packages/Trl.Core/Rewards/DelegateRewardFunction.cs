namespace Trl.Rewards;

/// <summary>A reward function from a delegate, for rewards written inline.</summary>
public sealed class DelegateRewardFunction(string name, Func<RewardInputs, IReadOnlyList<double?>> score) : IRewardFunction
{
    /// <inheritdoc />
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <inheritdoc />
    public IReadOnlyList<double?> Score(RewardInputs inputs) => score(inputs);

    /// <summary>A reward scoring each completion on its own from its text and its row's columns.</summary>
    public static DelegateRewardFunction PerCompletion(string name, Func<string, RewardInputs, int, double?> score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new(name, inputs => Enumerable.Range(0, inputs.Count).Select(i => score(inputs.Completions[i], inputs, i)).ToArray());
    }

    /// <summary><paramref name="inner"/>'s scores times <paramref name="factor"/>, under the same name (e.g. a [0, 1]
    /// reward brought to the logit range a preference probability σ(Δ) expects).</summary>
    public static DelegateRewardFunction Scaled(IRewardFunction inner, double factor)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return new(inner.Name, inputs => inner.Score(inputs).Select(s => s * factor).ToArray());
    }
}
