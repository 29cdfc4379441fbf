using System.Globalization;
using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Generation;
using Trl.Rewards;
using Trl.Kernels;
using TorchSharp;
using Trl.Modeling;
using Trl.Online;
using Trl.Tokenization;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Grpo;

/// <summary>Group Relative Policy Optimization (TRL's GRPOTrainer). Every <c>steps_per_generation × num_iterations</c>
/// micro-steps it samples <c>num_generations</c> completions per prompt with the KV-cache generator
/// (<see cref="GenerateCompletions"/>), scores them with the reward functions (<see cref="ScoreCompletions"/>), turns
/// rewards into group-relative advantages (<see cref="ComputeAdvantages"/>), shuffles the generation batch and splits
/// it into micro-batches (<see cref="BuildRollouts"/>); each micro-step then optimises <see cref="GrpoLoss"/> on one of
/// them (old log-probs kept when a generation is reused, reference log-probs when beta ≠ 0).</summary>
public class GrpoTrainer : Trainer<PromptExample>
{
    readonly CausalLM _policy;
    readonly ReferenceModel? _reference;
    readonly GrpoConfig _config;
    readonly ITextTokenizer _tokenizer;
    readonly IReadOnlyList<IRewardFunction> _rewards;
    readonly long _padTokenId;
    readonly IReadOnlyList<long> _eosTokenIds;
    readonly ILogger? _logger;
    readonly List<GrpoRollout> _buffer = new();
    int _evaluations;
    double _entropyCoef;
    double _lastWorldEntropy;
    double _windowEntropySum, _windowEntropyCount;

    /// <summary>Creates a trainer. <paramref name="referenceModel"/> (a separately loaded copy of the initial weights)
    /// is required when beta ≠ 0 and frozen; <paramref name="rewardFunctions"/> are weighted by reward_weights.</summary>
    public GrpoTrainer(CausalLM model, CausalLM? referenceModel, GrpoConfig config, IReadOnlyList<PromptExample> trainDataset,
        ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewardFunctions, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _rewards = rewardFunctions ?? throw new ArgumentNullException(nameof(rewardFunctions));
        // Reward models score where the policy generates.
        foreach (var rewardModel in _rewards.OfType<RewardModelFunction>())
            if (!TrainingDevice.Same(rewardModel.Model.Device, Device)) rewardModel.Model.to(Device);
        _logger = logger;
        if (_rewards.Count == 0) throw new ArgumentException("GRPO needs at least one reward function.", nameof(rewardFunctions));
        if (config.RewardWeights is { } w && w.Count != _rewards.Count)
            throw new ArgumentException($"reward_weights has {w.Count} values but there are {_rewards.Count} reward functions.");
        if (config.Beta != 0.0)
        {
            _reference = ReferenceModel.Resolve(model, referenceModel) ?? throw new ArgumentException("beta != 0 needs a reference model.", nameof(referenceModel));
            if (config.SyncRefModel) Callbacks.Add(_reference.SyncWith(model, config.RefModelMixupAlpha, config.RefModelSyncSteps));
        }
        (_padTokenId, _eosTokenIds) = OnlineSetup.SpecialIds(tokenizer, model);
        _entropyCoef = config.EntropyCoef;
    }

    /// <summary>Raised after each generation with its first num_completions_to_print completions and their rewards.</summary>
    public event Action<IReadOnlyList<CompletionSample>>? SamplesGenerated;

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;

    /// <summary>The frozen reference (null at beta 0).</summary>
    protected ReferenceModel? Reference => _reference;

    /// <summary>The configuration.</summary>
    protected GrpoConfig Config => _config;

    /// <summary>The reward functions, in reward_weights order.</summary>
    protected IReadOnlyList<IRewardFunction> RewardFunctions => _rewards;

    int StepsPerGeneration => _config.EffectiveStepsPerGeneration;
    int GenerateEvery => StepsPerGeneration * _config.NumIterations;
    int UniquePromptsPerGeneration => _config.EffectiveGenerationBatchSize / _config.NumGenerations;

    /// <inheritdoc />
    protected override int MicroBatchesPerEpoch(int exampleCount) =>
        Math.Max(1, exampleCount / UniquePromptsPerGeneration) * GenerateEvery;

    /// <summary>TRL's RepeatSampler geometry: each micro-batch is the whole generation batch (every prompt repeated
    /// num_generations times), repeated for the steps_per_generation × num_iterations micro-steps it feeds.</summary>
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
            // The seed of a generation follows from its position in the run, so it does not depend on how the run got there.
            long generation = micro / GenerateEvery;
            var (chunks, generationMetrics) = GenerateAndScore(microBatch, StepsPerGeneration, _config.NumGenerations, seed: _config.Seed + generation, training: true);
            _buffer.AddRange(chunks);
            foreach (var (k, v) in generationMetrics) metrics[k] = tensor(v);
        }
        var chunk = _buffer[(int)(micro % StepsPerGeneration)];

        bool bonus = _config.EntropyCoef != 0.0 || _config.UseAdaptiveEntropy;
        var (logps, entropies) = PerTokenLogps(_policy, chunk, entropyWithGrad: bonus);
        double coef = _config.UseAdaptiveEntropy ? (_lastWorldEntropy <= _config.EntropyTarget ? _entropyCoef : 0.0) : _entropyCoef;
        var output = GrpoLoss.Compute(_config, new GrpoLoss.Inputs(logps, chunk.OldLogps, chunk.RefLogps, chunk.Advantages,
            chunk.CompletionMask, entropies, chunk.NumItemsInBatch, context.GradientAccumulationSteps, Training: true), coef);
        foreach (var (k, v) in output.Metrics) metrics[k] = v;

        if (context.IsLastMicroStep)
        {
            if (bonus) UpdateEntropyController(output);
            if (bonus) metrics["entropy_coef"] = tensor(_entropyCoef);
        }
        else if (_config.UseAdaptiveEntropy) AccumulateEntropy(output);
        return new LossOutput(output.Loss, metrics);
    }

    /// <summary>Evaluation as TRL's: each eval prompt gets num_generations_eval (or num_generations) completions,
    /// scored and turned into advantages within the eval batch; the loss is computed in eval mode (no accumulation
    /// division), without touching the training buffer or the token count.</summary>
    LossOutput EvaluationLoss(IReadOnlyList<PromptExample> prompts)
    {
        int g = _config.NumGenerationsEval ?? _config.NumGenerations;
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(p, g)).ToList();
        var (chunks, generationMetrics) = GenerateAndScore(expanded, chunks: 1, g, seed: _config.Seed + 1_000_003L * ++_evaluations, training: false);
        var metrics = generationMetrics.ToDictionary(kv => kv.Key, kv => tensor(kv.Value));
        using var chunk = chunks[0];
        var (logps, entropies) = PerTokenLogps(_policy, chunk, entropyWithGrad: false);
        var output = GrpoLoss.Compute(_config, new GrpoLoss.Inputs(logps, chunk.OldLogps, chunk.RefLogps, chunk.Advantages,
            chunk.CompletionMask, entropies, chunk.NumItemsInBatch, 1, Training: false), _entropyCoef);
        foreach (var (k, v) in output.Metrics) metrics[k] = v;
        return new LossOutput(output.Loss, metrics);
    }

    // The adaptive controller steers the next step's coefficient from this step's entropy: the one place GRPO reads a
    // device value during training (once per optimizer step, and only with use_adaptive_entropy).
    void AccumulateEntropy(GrpoLoss.Output output)
    {
        _windowEntropySum += output.EntropySum.to_type(ScalarType.Float64).cpu().item<double>();
        _windowEntropyCount += output.EntropyCount.to_type(ScalarType.Float64).cpu().item<double>();
    }

    void UpdateEntropyController(GrpoLoss.Output last)
    {
        if (!_config.UseAdaptiveEntropy) return;
        AccumulateEntropy(last);
        double world = _windowEntropySum / Math.Max(_windowEntropyCount, 1.0);
        _entropyCoef = world <= _config.EntropyTarget
            ? Math.Min(_entropyCoef + _config.EntropyCoefDelta, _config.EntropyCoefMax)
            : Math.Max(_entropyCoef - _config.EntropyCoefDelta, _config.EntropyCoefMin);
        _lastWorldEntropy = world;
        _windowEntropySum = _windowEntropyCount = 0;
    }

    /// <summary>Log-probs (and entropies) of the completion tokens under <paramref name="model"/>, from the
    /// temperature-scaled logits; only the completion positions are projected onto the vocabulary, chunk by chunk.</summary>
    /// <remarks>Override to change how completions are scored by a model (e.g. another temperature rule).</remarks>
    protected virtual (Tensor Logps, Tensor Entropies) PerTokenLogps(CausalLM model, GrpoRollout chunk, bool entropyWithGrad)
    {
        var input = cat(new[] { chunk.PromptIds, chunk.CompletionIds }, 1);
        var attention = cat(new[] { chunk.PromptMask, chunk.CompletionMask.to_type(ScalarType.Int64) }, 1);
        var positions = Sequences.PositionIdsFromAttentionMask(attention);
        var hidden = model.Decoder.Forward(input, attention, positions);
        var r = model.CompletionLogProbs(hidden, chunk.CompletionIds, new LmHeadLogProbsOptions { Temperature = _config.Temperature, Entropy = true });
        return (r.Logps, entropyWithGrad ? r.Entropy! : r.Entropy!.detach());
    }

    /// <summary>Samples and scores one generation batch (each prompt repeated <paramref name="groupSize"/> times,
    /// adjacent), shuffles it and splits it into <paramref name="chunks"/> micro-batches kept alive for later steps;
    /// returns them with the generation metrics.</summary>
    (List<GrpoRollout> Chunks, Dictionary<string, double> Metrics) GenerateAndScore(IReadOnlyList<PromptExample> batch, int chunks, int groupSize, long seed, bool training)
    {
        var generated = GenerateCompletions(batch, seed);
        var texts = generated.CompletionIds.Select(ids => _tokenizer.Decode(ids, skipSpecialTokens: true)).ToList();
        var rewardTable = ScoreCompletions(batch, texts, generated.CompletionIds);
        using var scope = NewDisposeScope();
        var rewards = tensor(rewardTable, new long[] { batch.Count, _rewards.Count });
        var advantage = ComputeAdvantages(rewards, groupSize);
        if (training) State.NumTokens += batch.Sum(p => (long)p.PromptIds.Count) + generated.CompletionIds.Sum(c => (long)c.Count);
        var result = BuildRollouts(batch, generated, advantage.Advantages, chunks, seed, training);
        var metrics = GenerationMetrics(generated, rewards, advantage);
        if (training) LogCompletions(batch, texts, rewardTable);
        return (result, metrics);
    }

    /// <summary>Samples one completion per entry of <paramref name="batch"/> with TRL's sampling settings (temperature,
    /// top_p/top_k/min_p, repetition_penalty, EOS stop, max_completion_length), reproducibly from <paramref name="seed"/>.</summary>
    protected virtual GenerationResult GenerateCompletions(IReadOnlyList<PromptExample> batch, long seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new TextGenerator(_policy).Generate(batch.Select(p => p.PromptIds).ToList(), new GenerationOptions
        {
            MaxNewTokens = _config.MaxCompletionLength,
            DoSample = true,
            Temperature = _config.Temperature,
            TopK = _config.TopK,
            TopP = _config.TopP,
            MinP = _config.MinP,
            RepetitionPenalty = _config.RepetitionPenalty,
            EosTokenIds = _eosTokenIds,
            PadTokenId = _padTokenId,
            Seed = seed,
        });
    }

    /// <summary>Every reward function's score of every completion, row-major [N × F]; NaN where a function did not apply.</summary>
    protected virtual float[] ScoreCompletions(IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, IReadOnlyList<IReadOnlyList<long>> completionIds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return RewardScoring.Score(_rewards, batch, texts, completionIds, State);
    }

    /// <summary>Group-relative advantages of rewards [N, F] (see <see cref="GrpoAdvantages"/>).</summary>
    protected virtual GrpoAdvantages.Result ComputeAdvantages(Tensor rewards, int groupSize) =>
        GrpoAdvantages.Compute(rewards, _config.RewardWeights ?? Enumerable.Repeat(1.0, _rewards.Count).ToArray(), groupSize, _config.ScaleRewards, _config.MultiObjectiveAggregation);

    /// <summary>Pads the generation batch into tensors on the policy's device, shuffles its rows (TRL's
    /// shuffle_sequence_dict) and splits it into <paramref name="chunks"/> rollouts, with old log-probs (when a generation
    /// feeds several optimizer steps) and reference log-probs (beta ≠ 0).</summary>
    protected virtual List<GrpoRollout> BuildRollouts(IReadOnlyList<PromptExample> batch, GenerationResult generated, Tensor advantages, int chunks, long seed, bool training)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(generated);
        using var scope = NewDisposeScope();
        int n = batch.Count;
        var device = _policy.Device;
        var completionIds = generated.CompletionIds;
        var promptIds = SequencePadding.PadIds(batch.Select(p => p.PromptIds).ToList(), _padTokenId, PaddingSide.Left).to(device);
        var promptMask = SequencePadding.AttentionMask(batch.Select(p => p.PromptIds).ToList(), PaddingSide.Left).to(device);
        var nonEmpty = completionIds.Select(c => c.Count == 0 ? (IReadOnlyList<long>)new[] { _padTokenId } : c).ToList();
        var completion = SequencePadding.PadIds(nonEmpty, _padTokenId, PaddingSide.Right, _config.PadToMultipleOf, device);
        var completionMask = SequencePadding.AttentionMask(completionIds, PaddingSide.Right, _config.PadToMultipleOf, device);
        if (completionMask.shape[1] < completion.shape[1])
            completionMask = nn.functional.pad(completionMask, new long[] { 0, completion.shape[1] - completionMask.shape[1] });
        var lossMask = completionMask.to_type(ScalarType.Float32);
        if (_config.MaskTruncatedCompletions)
            lossMask = lossMask * tensor(generated.EndedWithEos.Select(e => e ? 1f : 0f).ToArray(), device: device).unsqueeze(1);
        // The normaliser is a host count: the completion tokens that count for the loss.
        double numItems = completionIds.Select((c, i) => _config.MaskTruncatedCompletions && !generated.EndedWithEos[i] ? 0 : c.Count).Sum();
        (completion, lossMask) = (completion.to(device), lossMask.to(device));
        var adv = advantages.to(device);

        using var g = new Generator((ulong)(seed * 7919L + 1));
        var perm = randperm(n, generator: g).to(device);
        bool needOld = training && _config.GradientAccumulationSteps % GenerateEvery != 0;
        int b = n / chunks;
        var result = new List<GrpoRollout>(chunks);
        for (int k = 0; k < chunks; k++)
        {
            var rows = perm.narrow(0, k * b, b);
            var chunk = new GrpoRollout(promptIds.index_select(0, rows), promptMask.index_select(0, rows),
                completion.index_select(0, rows), lossMask.index_select(0, rows), adv.index_select(0, rows), numItems);
            using (no_grad())
            {
                if (needOld) chunk.OldLogps = PerTokenLogps(_policy, chunk, entropyWithGrad: false).Logps;
                if (_reference is not null) chunk.RefLogps = _reference.Score(m => PerTokenLogps(m, chunk, entropyWithGrad: false).Logps);
            }
            result.Add(chunk);
        }
        return result;
    }

    Dictionary<string, double> GenerationMetrics(GenerationResult generated, Tensor rewards, GrpoAdvantages.Result advantage)
    {
        var metrics = CompletionMetrics.Of(generated);
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
        return metrics;
    }

    void LogCompletions(IReadOnlyList<PromptExample> batch, IReadOnlyList<string> texts, float[] rewardTable)
    {
        var names = _rewards.Select(r => r.Name).ToList();
        var samples = CompletionSamples.Take(State.GlobalStep + 1, batch, texts, rewardTable, names, _config.NumCompletionsToPrint);
        foreach (var sample in samples)
            _logger?.LogInformation("step {Step} sample: prompt={Prompt} completion={Completion} rewards=[{Rewards}]", sample.Step, sample.Prompt, sample.Completion,
                string.Join(", ", sample.Rewards.Select(r => $"{r.Key}={r.Value.ToString("G4", CultureInfo.InvariantCulture)}")));
        if (samples.Count > 0) { SamplesGenerated?.Invoke(samples); ReportSamples(samples); }
        if (_config.LogCompletions) CompletionSamples.Append(Options.OutputDir, State.GlobalStep, batch, texts, rewardTable, names);
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
