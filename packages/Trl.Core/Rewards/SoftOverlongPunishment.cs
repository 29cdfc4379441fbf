namespace Trl.Rewards;

/// <summary>DAPO's soft over-long punishment (TRL's get_soft_overlong_punishment): 0 up to
/// <c>maxCompletionLength − softPunishCache</c> tokens, then a linear penalty down to −1 at the maximum, −1 beyond.</summary>
public sealed class SoftOverlongPunishment(int maxCompletionLength, int softPunishCache) : IRewardFunction
{
    /// <inheritdoc />
    public string Name => "soft_overlong_punishment";

    /// <inheritdoc />
    public IReadOnlyList<double?> Score(RewardInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int free = maxCompletionLength - softPunishCache;
        return inputs.CompletionIds.Select(ids => (double?)(ids.Count <= free ? 0.0
            : ids.Count <= maxCompletionLength ? (double)(free - ids.Count) / softPunishCache
            : -1.0)).ToArray();
    }
}
