namespace Trl.Rewards;

/// <summary>A reward for online trainers (GRPO, RLOO, Online DPO, PPO …): scores each completion of a generation batch. Return null for a completion the function
/// does not apply to (it becomes NaN and is left out of that function's statistics, as in TRL).</summary>
public interface IRewardFunction
{
    /// <summary>The name metrics use: rewards/{Name}/mean.</summary>
    string Name { get; }

    /// <summary>One score (or null) per completion, in order.</summary>
    IReadOnlyList<double?> Score(RewardInputs inputs);
}
