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

namespace Trl.OnlineDpo;

/// <summary>Online DPO (TRL's OnlineDPOTrainer). Each micro-step samples two completions of every prompt from the
/// current policy (<see cref="GenerateCompletions"/>), scores them with the reward functions
/// (<see cref="ScoreCompletions"/>, minus missing_eos_penalty), makes the better one of each pair chosen and optimises
/// the DPO loss against the frozen reference (<see cref="OnlineDpoLoss"/>).</summary>
public class OnlineDpoTrainer : Trainer<PromptExample>
{
    readonly CausalLM _policy;
    readonly OnlineDpoConfig _config;
    readonly PairSetup _setup;
    int _evaluations;

    /// <summary>Creates a trainer. <paramref name="referenceModel"/> is a separately loaded copy of the initial weights
    /// (null only for a LoRA policy, whose adapter-disabled base is the reference).</summary>
    public OnlineDpoTrainer(CausalLM model, CausalLM? referenceModel, OnlineDpoConfig config, IReadOnlyList<PromptExample> trainDataset,
        ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewardFunctions, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _setup = PairSetup.Create("Online DPO", model, referenceModel, tokenizer, rewardFunctions, config.RewardWeights, Device,
            config.MaxNewTokens, config.Temperature, config.TopK, config.TopP, config.MinP, config.RepetitionPenalty);
    }

    /// <summary>Raised at each logging step with the first sampled completions and their rewards.</summary>
    public event Action<IReadOnlyList<CompletionSample>>? SamplesGenerated;

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;
    /// <summary>The frozen reference.</summary>
    protected ReferenceModel Reference => _setup.Reference;
    /// <summary>The configuration.</summary>
    protected OnlineDpoConfig Config => _config;
    /// <summary>β of the current epoch.</summary>
    protected double Beta => PerEpoch.Value(_config.Beta, State.Epoch);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PromptExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        // The seed of a generation follows from its position in the run, so a resumed run samples the same.
        long seed = context.Evaluating ? _config.Seed + 1_000_003L * ++_evaluations : _config.Seed + context.MicroStepsBefore;
        var doubled = microBatch.Concat(microBatch).ToList();
        var generated = GenerateCompletions(doubled, seed);
        var rollout = PairRollout.From(generated, _setup.Sampling.PadTokenId, Device);
        var texts = generated.CompletionIds.Select(ids => _setup.Tokenizer.Decode(ids, skipSpecialTokens: true)).ToList();
        // TRL passes the padded completion rows to reward functions.
        long width = rollout.CompletionIds.shape[1];
        var paddedIds = generated.CompletionIds.Select(c => (IReadOnlyList<long>)c.Concat(Enumerable.Repeat(_setup.Sampling.PadTokenId, (int)width - c.Count)).ToArray()).ToList();
        var table = ScoreCompletions(doubled, texts, paddedIds);
        var rewards = RewardScoring.WeightedSum(table, _setup.Rewards.Count, _config.RewardWeights);
        if (_config.MissingEosPenalty is double penalty)
            for (int i = 0; i < rewards.Length; i++) if (!rollout.ContainsEos[i]) rewards[i] -= penalty;
        if (PairSetup.IsReportStep(context, Options.LoggingSteps)) Report(doubled, texts, table);

        var logps = CompletionLogProbs.Compute(_policy, rollout.PromptIds, rollout.PromptMask, rollout.CompletionIds, rollout.CompletionMask, _config.MaxLength);
        var refLogps = _setup.Reference.Score(m => CompletionLogProbs.Compute(m, rollout.PromptIds, rollout.PromptMask, rollout.CompletionIds, rollout.CompletionMask, _config.MaxLength));
        var output = OnlineDpoLoss.Compute(logps, refLogps, rollout.CompletionMask, tensor(rewards.Select(r => (float)r).ToArray(), device: Device), Beta, _config.LossType);
        var metrics = new Dictionary<string, Tensor>(output.Metrics, StringComparer.Ordinal)
        {
            ["val/contain_eos_token"] = tensor(rollout.ContainsEos.Count(e => e) / (double)rollout.ContainsEos.Length),
        };
        var loss = context.Evaluating ? output.Loss : output.Loss / context.GradientAccumulationSteps;
        return new LossOutput(loss, metrics);
    }

    /// <summary>Samples one completion per entry of <paramref name="batch"/> from the policy with TRL's sampling settings
    /// (stopping at EOS), reproducibly from <paramref name="seed"/>.</summary>
    protected virtual GenerationResult GenerateCompletions(IReadOnlyList<PromptExample> batch, long seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return _setup.Sampling.Sample(_policy, batch, seed);
    }

    /// <summary>Every reward function's score of every completion, row-major [N × F]; NaN where a function did not apply.</summary>
    protected virtual float[] ScoreCompletions(IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, IReadOnlyList<IReadOnlyList<long>> completionIds) =>
        RewardScoring.Score(_setup.Rewards, batch, texts, completionIds, State);

    void Report(IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, float[] table)
    {
        if (SamplesGenerated is null) return;
        var samples = CompletionSamples.Take(State.GlobalStep + 1, batch, texts, table, _setup.Rewards.Select(r => r.Name).ToList(), 2);
        SamplesGenerated(samples);
    }
}
