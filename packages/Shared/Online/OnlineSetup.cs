using TorchSharp;
using Trl.Modeling;
using Trl.Rewards;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Online;

/// <summary>What every online trainer checks and sets up the same way: its reward functions (at least one, weights
/// matching, reward models moved to the training device) and the pad and EOS ids its sampler uses.</summary>
internal static class OnlineSetup
{
    public static void CheckRewards(string trainer, IReadOnlyList<IRewardFunction> rewards, IReadOnlyList<double>? weights, torch.Device device)
    {
        if (rewards.Count == 0) throw new ArgumentException($"{trainer} needs at least one reward function.", nameof(rewards));
        if (weights is { } w && w.Count != rewards.Count)
            throw new ArgumentException($"reward_weights has {w.Count} values but there are {rewards.Count} reward functions.");
        foreach (var rewardModel in rewards.OfType<RewardModelFunction>())
            if (!TrainingDevice.Same(rewardModel.Model.Device, device)) rewardModel.Model.to(device);
    }

    /// <summary>The tokenizer's pad id (else the model's, else EOS), and every EOS id of model and tokenizer.</summary>
    public static (long Pad, IReadOnlyList<long> Eos) SpecialIds(ITextTokenizer tokenizer, CausalLM model)
    {
        long pad = tokenizer.Special.PadTokenId ?? model.Config.PadTokenId ?? tokenizer.Special.EosTokenId ?? 0;
        var eos = tokenizer.Special.EosTokenId is long e ? model.Config.EosTokenIds.Append(e).Distinct().ToArray() : model.Config.EosTokenIds;
        return (pad, eos);
    }

    /// <summary>The reference of a trainer that always has one: the given copy, or the LoRA policy's base.</summary>
    public static ReferenceModel RequireReference(string trainer, CausalLM policy, CausalLM? reference) =>
        ReferenceModel.Resolve(policy, reference)
        ?? throw new ArgumentException($"{trainer} needs a reference model (a copy of the initial weights) unless the policy has a LoRA adapter.", nameof(reference));
}
