using Trl.Data;
using Trl.Generation;
using Trl.Modeling;

namespace Trl.Online;

/// <summary>The Online DPO family's sampling settings (TRL builds one GenerationConfig from them for every sampler:
/// policy, reference and geometric mixture).</summary>
internal sealed record SamplingSettings(int MaxNewTokens, double Temperature, int TopK, double TopP, double? MinP, double RepetitionPenalty,
    IReadOnlyList<long> EosTokenIds, long PadTokenId)
{
    /// <summary>One completion per prompt from <paramref name="model"/> (or the mixture), stopping at EOS.</summary>
    public GenerationResult Sample(CausalLM model, IReadOnlyList<PromptExample> prompts, long seed, GeometricMixture? mixture = null) =>
        new TextGenerator(model).Generate(prompts.Select(p => p.PromptIds).ToList(), new GenerationOptions
        {
            MaxNewTokens = MaxNewTokens, DoSample = true, Temperature = Temperature, TopK = TopK, TopP = TopP, MinP = MinP,
            RepetitionPenalty = RepetitionPenalty, EosTokenIds = EosTokenIds, PadTokenId = PadTokenId, Seed = seed, Mixture = mixture,
        });

    /// <summary>TRL's XPO/Nash-MD missing-EOS test: an EOS anywhere in prompt + completion counts (a prompt holding the
    /// EOS id suppresses the penalty, as there).</summary>
    public bool ContainsEos(IReadOnlyList<long> prompt, IReadOnlyList<long> completion) =>
        prompt.Any(EosTokenIds.Contains) || completion.Any(EosTokenIds.Contains);
}
