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

namespace Trl.Xpo;

/// <summary>Exploratory Preference Optimization (TRL's XPOTrainer). Each micro-step samples one completion of every
/// prompt from the policy and one from the reference (<see cref="GenerateCompletions"/>), scores both
/// (<see cref="ScoreCompletions"/>), makes the higher-scoring one chosen and optimises <see cref="XpoLoss"/>.</summary>
public class XpoTrainer : Trainer<PromptExample>
{
    readonly CausalLM _policy;
    readonly XpoConfig _config;
    readonly PairSetup _setup;
    int _evaluations;

    /// <summary>Creates a trainer. <paramref name="referenceModel"/> is a separately loaded copy of the initial weights
    /// (null only for a LoRA policy, whose adapter-disabled base is the reference). TRL takes exactly one reward model;
    /// any reward functions work here (a reward model through <see cref="RewardModelFunction"/>).</summary>
    public XpoTrainer(CausalLM model, CausalLM? referenceModel, XpoConfig config, IReadOnlyList<PromptExample> trainDataset,
        ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewardFunctions, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _setup = PairSetup.Create("XPO", model, referenceModel, tokenizer, rewardFunctions, config.RewardWeights, Device,
            config.MaxNewTokens, config.Temperature, config.TopK, config.TopP, config.MinP, config.RepetitionPenalty);
    }

    /// <summary>Raised after each generation at each logging step with a policy sample and a reference sample and their scores.</summary>
    public event Action<IReadOnlyList<CompletionSample>>? SamplesGenerated;

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;
    /// <summary>The frozen reference.</summary>
    protected ReferenceModel Reference => _setup.Reference;
    /// <summary>The configuration.</summary>
    protected XpoConfig Config => _config;
    /// <summary>β of the current epoch.</summary>
    protected double Beta => PerEpoch.Value(_config.Beta, State.Epoch);
    /// <summary>α of the current epoch.</summary>
    protected double Alpha => PerEpoch.Value(_config.Alpha, State.Epoch);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PromptExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        long seed = context.Evaluating ? _config.Seed + 1_000_003L * ++_evaluations : _config.Seed + context.MicroStepsBefore;
        var (modelSamples, refSamples) = GenerateCompletions(microBatch, seed);
        var model = PairRollout.From(modelSamples, _setup.Sampling.PadTokenId, Device);
        var reference = PairRollout.From(refSamples, _setup.Sampling.PadTokenId, Device);
        var modelScored = ScoreCompletions(microBatch, modelSamples);
        var refScored = ScoreCompletions(microBatch, refSamples);
        if (SamplesGenerated is not null && PairSetup.IsReportStep(context, Options.LoggingSteps))
            SamplesGenerated(_setup.FirstOfEach(State.GlobalStep + 1, microBatch, modelScored, refScored));
        var modelScores = tensor(modelScored.Scores, device: Device);
        var refScores = tensor(refScored.Scores, device: Device);

        var piM = PairSetup.Masked(CompletionLogProbs.Compute(_policy, model.PromptIds, model.PromptMask, model.CompletionIds, model.CompletionMask), model);
        var piR = PairSetup.Masked(CompletionLogProbs.Compute(_policy, reference.PromptIds, reference.PromptMask, reference.CompletionIds, reference.CompletionMask), reference);
        var rhoM = PairSetup.Masked(_setup.Reference.Score(m => CompletionLogProbs.Compute(m, model.PromptIds, model.PromptMask, model.CompletionIds, model.CompletionMask)), model);
        var rhoR = PairSetup.Masked(_setup.Reference.Score(m => CompletionLogProbs.Compute(m, reference.PromptIds, reference.PromptMask, reference.CompletionIds, reference.CompletionMask)), reference);
        var output = XpoLoss.Compute(piM, piR, rhoR, rhoM, modelScores.ge(refScores), Beta, Alpha, _config.LossType);
        var metrics = new Dictionary<string, Tensor>(output.Metrics, StringComparer.Ordinal)
        {
            ["objective/model_scores"] = modelScores.mean(),
            ["objective/ref_scores"] = refScores.mean(),
            ["objective/scores_margin"] = (modelScores - refScores).mean(),
            ["val/model_contain_eos_token"] = tensor(model.ContainsEos.Count(e => e) / (double)model.ContainsEos.Length),
            ["val/ref_contain_eos_token"] = tensor(reference.ContainsEos.Count(e => e) / (double)reference.ContainsEos.Length),
        };
        var loss = context.Evaluating ? output.Loss : output.Loss / context.GradientAccumulationSteps;
        return new LossOutput(loss, metrics);
    }

    /// <summary>One completion per prompt from the policy and one from the reference, with TRL's sampling settings,
    /// reproducibly from <paramref name="seed"/>.</summary>
    protected virtual (GenerationResult Policy, GenerationResult Reference) GenerateCompletions(IReadOnlyList<PromptExample> batch, long seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var policy = _setup.Sampling.Sample(_policy, batch, seed);
        var reference = _setup.Reference.Score(m => _setup.Sampling.Sample(m, batch, seed + 500_009));
        return (policy, reference);
    }

    /// <summary>The scores of one sampler's completions (after missing_eos_penalty), the reward table and the texts.</summary>
    protected virtual (float[] Scores, float[] Table, List<string> Texts) ScoreCompletions(IReadOnlyList<PromptExample> batch, GenerationResult generated) =>
        PairScoring.Score(_setup.Rewards, _config.RewardWeights, _config.MissingEosPenalty, _setup.Sampling, _setup.Tokenizer, batch, generated, State);
}
