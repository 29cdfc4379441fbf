using Trl.Data;
using Trl.Generation;
using Trl.Rewards;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Online;

/// <summary>Scores the completions of one sampler (policy, reference or mixture) for XPO and Nash-MD: decoded without
/// special tokens, scored by the reward functions (weighted NaN-skipping sum), minus missing_eos_penalty where neither
/// prompt nor completion holds an EOS (TRL's test over the whole input).</summary>
internal static class PairScoring
{
    public static (float[] Scores, float[] Table, List<string> Texts) Score(IReadOnlyList<IRewardFunction> rewards, IReadOnlyList<double>? weights,
        double? missingEosPenalty, SamplingSettings sampling, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> prompts, GenerationResult generated, TrainerState state)
    {
        var texts = generated.CompletionIds.Select(ids => tokenizer.Decode(ids, skipSpecialTokens: true)).ToList();
        var table = RewardScoring.Score(rewards, prompts, texts, generated.CompletionIds, state);
        var sums = RewardScoring.WeightedSum(table, rewards.Count, weights);
        var scores = new float[sums.Length];
        for (int i = 0; i < sums.Length; i++)
        {
            double s = sums[i];
            if (missingEosPenalty is double penalty && !sampling.ContainsEos(prompts[i].PromptIds, generated.CompletionIds[i])) s -= penalty;
            scores[i] = (float)s;
        }
        return (scores, table, texts);
    }
}
