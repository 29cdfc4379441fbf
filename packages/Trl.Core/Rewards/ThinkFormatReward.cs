using System.Text.RegularExpressions;

namespace Trl.Rewards;

/// <summary>TRL's think_format_reward: 1 when the completion is <c>&lt;think&gt;…&lt;/think&gt;</c> followed by the
/// answer, with a single think block, else 0.</summary>
public sealed partial class ThinkFormatReward : IRewardFunction
{
    /// <inheritdoc />
    public string Name => "think_format_reward";

    /// <inheritdoc />
    public IReadOnlyList<double?> Score(RewardInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs.Completions.Select(c => (double?)(ThinkBlock().IsMatch(c) ? 1.0 : 0.0)).ToArray();
    }

    [GeneratedRegex(@"^<think>(?!.*<think>)(.*?)</think>.*$", RegexOptions.Singleline)]
    private static partial Regex ThinkBlock();
}
