using Microsoft.Extensions.Logging;
using TorchSharp;
using Trl.Data;
using Trl.Generation;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Online;
using Trl.Rewards;
using Trl.Tokenization;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Rloo;

/// <summary>REINFORCE Leave-One-Out (TRL's RLOOTrainer). Every <c>steps_per_generation × num_iterations</c> micro-steps
/// it samples <c>num_generations</c> completions per prompt (<see cref="GenerateCompletions"/>), scores them
/// (<see cref="ScoreCompletions"/>), records their sequence log-probs under the current policy and, at β ≠ 0, the
/// reference, folds β·KL into the reward and takes each completion's leave-one-out baseline
/// (<see cref="RlooAdvantages"/>); each micro-step then optimises the clipped sequence-ratio objective
/// (<see cref="RlooLoss"/>) on one shuffled slice of that batch.</summary>
public class RlooTrainer : Trainer<PromptExample>
{
    readonly CausalLM _policy;
    readonly ReferenceModel? _reference;
    readonly RlooConfig _config;
    readonly ITextTokenizer _tokenizer;
    readonly IReadOnlyList<IRewardFunction> _rewards;
    readonly long _padTokenId;
    readonly IReadOnlyList<long> _eosTokenIds;
    readonly ILogger? _logger;
    readonly List<RlooRollout> _buffer = new();
    int _evaluations;

    /// <summary>Creates a trainer. <paramref name="referenceModel"/> (a separately loaded copy of the initial weights, or
    /// null to disable the policy's adapter) is used when beta ≠ 0; <paramref name="rewardFunctions"/> are weighted by
    /// reward_weights.</summary>
    public RlooTrainer(CausalLM model, CausalLM? referenceModel, RlooConfig config, IReadOnlyList<PromptExample> trainDataset,
        ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewardFunctions, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _rewards = rewardFunctions ?? throw new ArgumentNullException(nameof(rewardFunctions));
        _logger = logger;
        OnlineSetup.CheckRewards("RLOO", _rewards, config.RewardWeights, Device);
        if (config.Beta != 0.0)
        {
            _reference = ReferenceModel.Resolve(model, referenceModel) ?? throw new ArgumentException("beta != 0 needs a reference model (or a LoRA policy).", nameof(referenceModel));
            if (config.SyncRefModel) Callbacks.Add(_reference.SyncWith(model, config.RefModelMixupAlpha, config.RefModelSyncSteps));
        }
        (_padTokenId, _eosTokenIds) = OnlineSetup.SpecialIds(tokenizer, model);
    }

    /// <summary>Raised after each generation with its first num_completions_to_print completions and their rewards.</summary>
    public event Action<IReadOnlyList<CompletionSample>>? SamplesGenerated;

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;
    /// <summary>The reference (null at beta 0).</summary>
    protected ReferenceModel? Reference => _reference;
    /// <summary>The configuration.</summary>
    protected RlooConfig Config => _config;

    int StepsPerGeneration => _config.EffectiveStepsPerGeneration;
    int GenerateEvery => StepsPerGeneration * _config.NumIterations;
    int UniquePromptsPerGeneration => _config.EffectiveGenerationBatchSize / _config.NumGenerations;

    /// <inheritdoc />
    protected override int MicroBatchesPerEpoch(int exampleCount) =>
        Math.Max(1, exampleCount / UniquePromptsPerGeneration) * GenerateEvery;

    /// <summary>TRL's RepeatSampler geometry: each micro-batch is the whole generation batch (every prompt repeated
    /// num_generations times), repeated for the micro-steps it feeds.</summary>
    protected override IEnumerable<IReadOnlyList<PromptExample>> EnumerateMicroBatches(IReadOnlyList<PromptExample> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var sampler = new RepeatSampler(train.Count, _config.NumGenerations, UniquePromptsPerGeneration, GenerateEvery,
            _config.ShuffleDataset, _config.DataSeed ?? _config.Seed);
        return sampler.Groups(train, _config.EffectiveGenerationBatchSize);
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PromptExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Evaluating) return EvaluationLoss(microBatch);
        long micro = context.MicroStepsBefore;
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (_buffer.Count == 0 || micro % GenerateEvery == 0)
        {
            foreach (var old in _buffer) old.Dispose();
            _buffer.Clear();
            // The seed of a generation follows from its position in the run, so a resumed run samples the same.
            var (chunks, generationMetrics) = GenerateAndScore(microBatch, StepsPerGeneration, _config.NumGenerations, _config.Seed + micro / GenerateEvery, training: true);
            _buffer.AddRange(chunks);
            foreach (var (k, v) in generationMetrics) metrics[k] = tensor(v);
        }
        var chunk = _buffer[(int)(micro % StepsPerGeneration)];
        var (logps, entropies) = PerTokenLogps(_policy, chunk.PromptIds, chunk.PromptMask, chunk.CompletionIds, chunk.CompletionMask);
        var output = RlooLoss.Compute(logps, chunk.CompletionMask, chunk.OldLogps, chunk.Advantages, entropies, _config.Epsilon, _config.EffectiveEpsilonHigh);
        foreach (var (k, v) in output.Metrics) metrics[k] = v;
        return new LossOutput(output.Loss / context.GradientAccumulationSteps, metrics);
    }

    LossOutput EvaluationLoss(IReadOnlyList<PromptExample> prompts)
    {
        int g = _config.NumGenerationsEval ?? _config.NumGenerations;
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(p, g)).ToList();
        var (chunks, generationMetrics) = GenerateAndScore(expanded, 1, g, _config.Seed + 1_000_003L * ++_evaluations, training: false);
        var metrics = generationMetrics.ToDictionary(kv => kv.Key, kv => tensor(kv.Value));
        using var chunk = chunks[0];
        var (logps, entropies) = PerTokenLogps(_policy, chunk.PromptIds, chunk.PromptMask, chunk.CompletionIds, chunk.CompletionMask);
        var output = RlooLoss.Compute(logps, chunk.CompletionMask, chunk.OldLogps, chunk.Advantages, entropies, _config.Epsilon, _config.EffectiveEpsilonHigh);
        foreach (var (k, v) in output.Metrics) metrics[k] = v;
        return new LossOutput(output.Loss, metrics);
    }

    /// <summary>Per-token log-probs and (detached) entropies of the completion tokens under <paramref name="model"/>,
    /// from the temperature-scaled logits; only completion positions are projected onto the vocabulary.</summary>
    protected virtual (Tensor Logps, Tensor Entropies) PerTokenLogps(CausalLM model, Tensor promptIds, Tensor promptMask, Tensor completionIds, Tensor completionMask)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(completionIds);
        var input = cat(new[] { promptIds, completionIds }, 1);
        var attention = cat(new[] { promptMask, completionMask.to_type(ScalarType.Int64).clamp_max(1) }, 1);
        var hidden = model.Decoder.Forward(input, attention, Sequences.PositionIdsFromAttentionMask(attention));
        var r = model.CompletionLogProbs(hidden, completionIds, new LmHeadLogProbsOptions { Temperature = _config.Temperature, Entropy = true });
        return (r.Logps, r.Entropy!.detach());
    }

    /// <summary>Samples one completion per entry of <paramref name="batch"/> with TRL's sampling settings, reproducibly
    /// from <paramref name="seed"/>.</summary>
    protected virtual GenerationResult GenerateCompletions(IReadOnlyList<PromptExample> batch, long seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new TextGenerator(_policy).Generate(batch.Select(p => p.PromptIds).ToList(), new GenerationOptions
        {
            MaxNewTokens = _config.MaxCompletionLength, DoSample = true, Temperature = _config.Temperature, TopK = _config.TopK,
            TopP = _config.TopP, MinP = _config.MinP, RepetitionPenalty = _config.RepetitionPenalty, EosTokenIds = _eosTokenIds,
            PadTokenId = _padTokenId, Seed = seed,
        });
    }

    /// <summary>Every reward function's score of every completion, row-major [N × F]; NaN where a function did not apply.</summary>
    protected virtual float[] ScoreCompletions(IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, IReadOnlyList<IReadOnlyList<long>> completionIds) =>
        RewardScoring.Score(_rewards, batch, texts, completionIds, State);

    (List<RlooRollout>, Dictionary<string, double>) GenerateAndScore(IReadOnlyList<PromptExample> batch, int chunks, int groupSize, long seed, bool training)
    {
        var generated = GenerateCompletions(batch, seed);
        var texts = generated.CompletionIds.Select(ids => _tokenizer.Decode(ids, skipSpecialTokens: true)).ToList();
        var table = ScoreCompletions(batch, texts, generated.CompletionIds);
        if (training) State.NumTokens += batch.Sum(p => (long)p.PromptIds.Count) + generated.CompletionIds.Sum(c => (long)c.Count);
        using var scope = NewDisposeScope();
        int n = batch.Count;
        var device = _policy.Device;
        var promptIds = SequencePadding.PadIds(batch.Select(p => p.PromptIds).ToList(), _padTokenId, PaddingSide.Left, device: device);
        var promptMask = SequencePadding.AttentionMask(batch.Select(p => p.PromptIds).ToList(), PaddingSide.Left, device: device);
        var nonEmpty = generated.CompletionIds.Select(c => c.Count == 0 ? (IReadOnlyList<long>)new[] { _padTokenId } : c).ToList();
        var completion = SequencePadding.PadIds(nonEmpty, _padTokenId, PaddingSide.Right, _config.PadToMultipleOf, device);
        var mask = SequencePadding.AttentionMask(generated.CompletionIds, PaddingSide.Right, _config.PadToMultipleOf, device);
        if (mask.shape[1] < completion.shape[1]) mask = nn.functional.pad(mask, new long[] { 0, completion.shape[1] - mask.shape[1] });
        var lossMask = mask.to_type(ScalarType.Float32);
        if (_config.MaskTruncatedCompletions)
            lossMask = lossMask * tensor(generated.EndedWithEos.Select(e => e ? 1f : 0f).ToArray(), device: device).unsqueeze(1);

        Tensor oldPerToken, refPerToken;
        using (no_grad())
        {
            oldPerToken = Batched(n, (start, len) => PerTokenLogps(_policy, promptIds.narrow(0, start, len), promptMask.narrow(0, start, len), completion.narrow(0, start, len), mask.narrow(0, start, len)).Logps);
            refPerToken = _reference is null ? oldPerToken : Batched(n, (start, len) => _reference.Score(m =>
                PerTokenLogps(m, promptIds.narrow(0, start, len), promptMask.narrow(0, start, len), completion.narrow(0, start, len), mask.narrow(0, start, len)).Logps));
        }
        var sequenceKl = ((oldPerToken - refPerToken) * lossMask).sum(1);
        var rewards = tensor(table, new long[] { n, _rewards.Count });
        var weights = _config.RewardWeights ?? Enumerable.Repeat(1.0, _rewards.Count).ToArray();
        var advantage = RlooAdvantages.Compute(rewards, weights, groupSize, _reference is null ? null : sequenceKl.cpu(), _config.Beta, _config.NormalizeAdvantages, _config.RewardClipRange);
        var oldLogps = (oldPerToken * lossMask).sum(1);

        var metrics = CompletionMetrics.Of(generated);
        if (_reference is not null) metrics["kl"] = (((oldPerToken - refPerToken) * lossMask).sum() / lossMask.sum().clamp_min(1.0)).item<float>();
        for (int f = 0; f < _rewards.Count; f++)
        {
            var column = rewards.select(1, f);
            var valid = column.isnan().logical_not();
            metrics[$"rewards/{_rewards[f].Name}/mean"] = valid.any().item<bool>() ? column.masked_select(valid).mean().item<float>() : double.NaN;
            metrics[$"rewards/{_rewards[f].Name}/std"] = NanStats.Std(column).item<float>();
        }
        metrics["reward"] = advantage.Reward;
        metrics["reward_std"] = advantage.RewardStd;
        metrics["frac_reward_zero_std"] = advantage.FracRewardZeroStd;
        if (training) Report(batch, texts, table);

        using var g = new Generator((ulong)(seed * 7919L + 1));
        var perm = randperm(n, generator: g).to(device);
        var adv = advantage.Advantages.to(device);
        int b = n / chunks;
        var result = new List<RlooRollout>(chunks);
        for (int k = 0; k < chunks; k++)
        {
            var rows = perm.narrow(0, k * b, b);
            result.Add(new RlooRollout(promptIds.index_select(0, rows), promptMask.index_select(0, rows), completion.index_select(0, rows),
                lossMask.index_select(0, rows), oldLogps.index_select(0, rows), adv.index_select(0, rows)));
        }
        return (result, metrics);
    }

    // TRL computes the no-grad log-probs in chunks of per_device_train_batch_size rows (all as wide as the batch).
    Tensor Batched(int n, Func<int, int, Tensor> pass)
    {
        int b = _config.PerDeviceTrainBatchSize;
        var parts = new List<Tensor>();
        for (int start = 0; start < n; start += b) parts.Add(pass(start, Math.Min(b, n - start)));
        return cat(parts.ToArray(), 0);
    }

    void Report(IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, float[] table)
    {
        var names = _rewards.Select(r => r.Name).ToList();
        var samples = CompletionSamples.Take(State.GlobalStep + 1, batch, texts, table, names, _config.NumCompletionsToPrint);
        foreach (var s in samples) _logger?.LogInformation("step {Step} sample: prompt={Prompt} completion={Completion}", s.Step, s.Prompt, s.Completion);
        if (samples.Count > 0) { SamplesGenerated?.Invoke(samples); ReportSamples(samples); }
        if (_config.LogCompletions) CompletionSamples.Append(Options.OutputDir, State.GlobalStep, batch, texts, table, names);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var chunk in _buffer) chunk.Dispose();
            _buffer.Clear();
        }
        base.Dispose(disposing);
    }
}
