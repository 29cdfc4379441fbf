using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Reward;

/// <summary>The reward-modelling objective (TRL's RewardTrainer): Bradley–Terry −log σ(r_c − r_r − margin), averaged
/// over pairs, plus center_rewards_coefficient · mean((r_c + r_r)²) when set.</summary>
public static class RewardLoss
{
    /// <summary>The loss of chosen and rejected rewards [B] (and optional margins [B]).</summary>
    public static Tensor Compute(Tensor chosen, Tensor rejected, Tensor? margins, double? centerRewardsCoefficient)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        var diff = chosen - rejected;
        if (margins is not null) diff = diff - margins.to(diff.device);
        var loss = -F.logsigmoid(diff).mean();
        if (centerRewardsCoefficient is double coef) loss = loss + coef * (chosen + rejected).pow(2).mean();
        return loss;
    }
}
