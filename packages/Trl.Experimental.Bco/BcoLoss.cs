using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Bco;

/// <summary>BCO's loss (TRL's bco_loss without UDM): for rewards r = β(log π − log π_ref) and the running baseline δ,
/// desirable rows −logσ(r − δ), undesirable rows −logσ(−(r − δ)), averaged.</summary>
public static class BcoLoss
{
    /// <summary>The mean loss; <paramref name="desirable"/> is the per-row label.</summary>
    public static Tensor Compute(Tensor rewards, Tensor delta, Tensor desirable)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(delta);
        var centered = rewards - delta.to(rewards.dtype);
        return where(desirable, -F.logsigmoid(centered), -F.logsigmoid(-centered)).mean();
    }
}
