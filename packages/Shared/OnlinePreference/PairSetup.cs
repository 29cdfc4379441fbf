using Trl.Data;
using Trl.Modeling;
using Trl.Rewards;
using Trl.Tokenization;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Online;

/// <summary>What Online DPO, XPO and Nash-MD set up alike: checked reward functions, the reference (a copy or the LoRA
/// policy's base) and the sampler's settings with the pad and EOS ids; and how they show samples.</summary>
internal sealed class PairSetup
{
    public required ITextTokenizer Tokenizer { get; init; }
    public required IReadOnlyList<IRewardFunction> Rewards { get; init; }
    public required ReferenceModel Reference { get; init; }
    public required SamplingSettings Sampling { get; init; }

    public static PairSetup Create(string trainer, CausalLM model, CausalLM? referenceModel, ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewards,
        IReadOnlyList<double>? rewardWeights, Device device, int maxNewTokens, double temperature, int topK, double topP, double? minP, double repetitionPenalty)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(rewards);
        OnlineSetup.CheckRewards(trainer, rewards, rewardWeights, device);
        var (pad, eos) = OnlineSetup.SpecialIds(tokenizer, model);
        return new PairSetup
        {
            Tokenizer = tokenizer,
            Rewards = rewards,
            Reference = OnlineSetup.RequireReference(trainer, model, referenceModel),
            Sampling = new SamplingSettings(maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, eos, pad),
        };
    }

    /// <summary>Samples are shown once per logging step (first micro-step), never during evaluation.</summary>
    public static bool IsReportStep(StepContext context, int loggingSteps) =>
        !context.Evaluating && context.MicroStep == 0 && (context.GlobalStep + 1) % loggingSteps == 0;

    /// <summary>The first sample of each of two samplers with its scores.</summary>
    public List<CompletionSample> FirstOfEach(int step, IReadOnlyList<PromptExample> prompts,
        (float[] Scores, float[] Table, List<string> Texts) first, (float[] Scores, float[] Table, List<string> Texts) second)
    {
        var names = Rewards.Select(r => r.Name).ToList();
        return [.. CompletionSamples.Take(step, prompts, first.Texts, first.Table, names, 1), .. CompletionSamples.Take(step, prompts, second.Texts, second.Table, names, 1)];
    }

    /// <summary>Per-token log-probs with padding zeroed (XPO and Nash-MD mask before their losses).</summary>
    public static Tensor Masked(Tensor logps, PairRollout rollout) => logps.masked_fill(rollout.CompletionMask.eq(0), 0);
}
