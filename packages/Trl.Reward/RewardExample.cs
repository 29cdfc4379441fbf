namespace Trl.Reward;

/// <summary>One tokenized reward-modelling pair: the whole chosen and rejected sequences (prompt included) and the
/// optional margin column.</summary>
public sealed record RewardExample(IReadOnlyList<long> ChosenIds, IReadOnlyList<long> RejectedIds)
{
    /// <summary>The row's margin: the loss becomes −log σ(r_c − r_r − margin).</summary>
    public double? Margin { get; init; }
}
