using Microsoft.Extensions.Logging;
using TorchSharp;
using Trl.Data;
using Trl.Generation;
using Trl.Modeling;
using Trl.Online;
using Trl.Rewards;
using Trl.Tokenization;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.NashMd;

/// <summary>Nash Mirror Descent (TRL's NashMDTrainer). Each micro-step samples one completion of every prompt from the
/// policy and one from the geometric mixture of policy and reference (<see cref="GenerateCompletions"/>), scores both
/// (<see cref="ScoreCompletions"/>), takes P = σ(score_policy − score_mixture) and optimises <see cref="NashMdLoss"/>
/// on the policy sample.</summary>
public class NashMdTrainer : Trainer<PromptExample>
{
    readonly CausalLM _policy;
    readonly NashMdConfig _config;
    readonly PairSetup _setup;
    int _evaluations;

    /// <summary>Creates a trainer. <paramref name="referenceModel"/> is a separately loaded copy of the initial weights
    /// (null only for a LoRA policy, whose adapter-disabled base is the reference). TRL takes exactly one reward model;
    /// any reward functions work here (a reward model through <see cref="RewardModelFunction"/>).</summary>
    public NashMdTrainer(CausalLM model, CausalLM? referenceModel, NashMdConfig config, IReadOnlyList<PromptExample> trainDataset,
        ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewardFunctions, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _setup = PairSetup.Create("Nash-MD", model, referenceModel, tokenizer, rewardFunctions, config.RewardWeights, Device,
            config.MaxNewTokens, config.Temperature, config.TopK, config.TopP, config.MinP, config.RepetitionPenalty);
    }

    /// <summary>Raised after each generation at each logging step with a policy sample and a mixture sample and their scores.</summary>
    public event Action<IReadOnlyList<CompletionSample>>? SamplesGenerated;

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;
    /// <summary>The frozen reference.</summary>
    protected ReferenceModel Reference => _setup.Reference;
    /// <summary>The configuration.</summary>
    protected NashMdConfig Config => _config;
    /// <summary>β of the current epoch.</summary>
    protected double Beta => PerEpoch.Value(_config.Beta, State.Epoch);
    /// <summary>The mixture coefficient of the current epoch.</summary>
    protected double MixtureCoef => PerEpoch.Value(_config.MixtureCoef, State.Epoch);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PromptExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        long seed = context.Evaluating ? _config.Seed + 1_000_003L * ++_evaluations : _config.Seed + context.MicroStepsBefore;
        var (modelSamples, mixtureSamples) = GenerateCompletions(microBatch, seed);
        var model = PairRollout.From(modelSamples, _setup.Sampling.PadTokenId, Device);
        var mixture = PairRollout.From(mixtureSamples, _setup.Sampling.PadTokenId, Device);
        var modelScored = ScoreCompletions(microBatch, modelSamples);
        var mixtureScored = ScoreCompletions(microBatch, mixtureSamples);
        if (SamplesGenerated is not null && PairSetup.IsReportStep(context, Options.LoggingSteps))
            SamplesGenerated(_setup.FirstOfEach(State.GlobalStep + 1, microBatch, modelScored, mixtureScored));
        var modelScores = tensor(modelScored.Scores, device: Device);
        var mixtureScores = tensor(mixtureScored.Scores, device: Device);
        var probability = (modelScores - mixtureScores).sigmoid();

        var lp = PairSetup.Masked(CompletionLogProbs.Compute(_policy, model.PromptIds, model.PromptMask, model.CompletionIds, model.CompletionMask), model);
        var refLp = PairSetup.Masked(_setup.Reference.Score(m => CompletionLogProbs.Compute(m, model.PromptIds, model.PromptMask, model.CompletionIds, model.CompletionMask)), model);
        var output = NashMdLoss.Compute(lp, refLp, probability, Beta);
        var metrics = new Dictionary<string, Tensor>(output.Metrics, StringComparer.Ordinal)
        {
            ["rewards/chosen"] = modelScores.mean(),
            ["rewards/rejected"] = mixtureScores.mean(),
            ["val/model_contain_eos_token"] = tensor(model.ContainsEos.Count(e => e) / (double)model.ContainsEos.Length),
            ["val/ref_contain_eos_token"] = tensor(mixture.ContainsEos.Count(e => e) / (double)mixture.ContainsEos.Length),
            ["mixture_coef"] = tensor(MixtureCoef),
        };
        var loss = context.Evaluating ? output.Loss : output.Loss / context.GradientAccumulationSteps;
        return new LossOutput(loss, metrics);
    }

    /// <summary>One completion per prompt from the policy and one from the geometric mixture of policy and reference
    /// logits (weight mixture_coef on the reference), with TRL's sampling settings, reproducibly from <paramref name="seed"/>.</summary>
    protected virtual (GenerationResult Policy, GenerationResult Mixture) GenerateCompletions(IReadOnlyList<PromptExample> batch, long seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var policy = _setup.Sampling.Sample(_policy, batch, seed);
        var mix = new GeometricMixture(_setup.Reference.Model, MixtureCoef) { ReferenceDisablesAdapter = _setup.Reference.DisablesAdapter };
        var mixture = _setup.Sampling.Sample(_policy, batch, seed + 500_009, mix);
        return (policy, mixture);
    }

    /// <summary>The scores of one sampler's completions (after missing_eos_penalty), the reward table and the texts.</summary>
    protected virtual (float[] Scores, float[] Table, List<string> Texts) ScoreCompletions(IReadOnlyList<PromptExample> batch, GenerationResult generated) =>
        PairScoring.Score(_setup.Rewards, _config.RewardWeights, _config.MissingEosPenalty, _setup.Sampling, _setup.Tokenizer, batch, generated, State);
}
