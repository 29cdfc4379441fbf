using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using Trl.Data;
using Trl.Generation;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Online;
using Trl.Rewards;
using Trl.Tokenization;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Ppo;

/// <summary>Proximal Policy Optimization as TRL's PPOTrainer (TRL f2cd577, trl/experimental/ppo): every
/// num_ppo_epochs optimizer steps it samples a rollout of response_length tokens per prompt
/// (<see cref="GenerateResponses"/>), scores the (stop-token-truncated) responses (<see cref="ScoreResponses"/>),
/// reads the frozen reference's log-probs and the value model at every token and computes rewards, GAE advantages and
/// returns (<see cref="PpoAdvantages"/>); each optimizer step is one pass over the rollout in a fresh order,
/// gradient_accumulation_steps micro-batches of the clipped policy + value loss (<see cref="PpoLoss"/>). One optimizer
/// covers policy and value model; gradients are not clipped; the learning rate advances once per rollout.</summary>
public class PpoTrainer : Trainer<PromptExample>
{
    const string ValuePrefix = "value_model.";
    const string ValueFile = "value_model.safetensors";
    readonly CausalLM _policy;
    readonly ReferenceModel _reference;
    readonly SequenceClassifier _value;
    readonly PpoConfig _config;
    readonly ITextTokenizer _tokenizer;
    readonly IReadOnlyList<IRewardFunction> _rewards;
    readonly long _padTokenId, _eosTokenId;
    readonly long? _stopTokenId;
    PpoRollout? _rollout;

    /// <summary>Creates a trainer. <paramref name="valueModel"/> is a one-label sequence classifier read at every token
    /// (TRL's value model), trained with the policy; <paramref name="referenceModel"/> a copy of the initial policy
    /// (null only for a LoRA policy); <paramref name="rewardFunctions"/> score the responses (a reward model through
    /// <see cref="RewardModelFunction"/>).</summary>
    public PpoTrainer(CausalLM model, CausalLM? referenceModel, SequenceClassifier valueModel, PpoConfig config, IReadOnlyList<PromptExample> trainDataset,
        ITextTokenizer tokenizer, IReadOnlyList<IRewardFunction> rewardFunctions, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _policy = model;
        _config = config;
        _value = valueModel ?? throw new ArgumentNullException(nameof(valueModel));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _rewards = rewardFunctions ?? throw new ArgumentNullException(nameof(rewardFunctions));
        if (!TrainingDevice.Same(_value.Device, Device)) _value.to(Device);
        OnlineSetup.CheckRewards("PPO", _rewards, config.RewardWeights, Device);
        _reference = OnlineSetup.RequireReference("PPO", model, referenceModel);
        var (pad, eos) = OnlineSetup.SpecialIds(tokenizer, model);
        _padTokenId = pad;
        _eosTokenId = tokenizer.Special.EosTokenId ?? (eos.Count > 0 ? eos[0] : pad);
        _stopTokenId = config.StopTokenId ?? (config.StopToken == "eos" ? _eosTokenId : null);
    }

    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => _policy;
    /// <summary>The value model being trained with it.</summary>
    protected SequenceClassifier ValueModel => _value;
    /// <summary>The frozen reference.</summary>
    protected ReferenceModel Reference => _reference;
    /// <summary>The configuration.</summary>
    protected PpoConfig Config => _config;

    int MicroStepsPerRollout => _config.NumPpoEpochs * _config.GradientAccumulationSteps;

    /// <inheritdoc />
    protected override IReadOnlyList<(string Name, Parameter Parameter)> OptimizedParameters() =>
        [.. _policy.TrainableParameters(), .. _value.TrainableParameters().Select(p => (ValuePrefix + p.Name, p.Parameter))];

    /// <summary>PPO never clips gradients (TRL's loop has no clip_grad_norm_).</summary>
    protected override double MaxGradNorm => 0;

    /// <inheritdoc />
    protected override int TotalSteps(int stepsPerEpoch) => Options.MaxSteps <= 0 && _config.TotalEpisodes is int episodes
        ? (episodes + _config.RolloutBatchSize - 1) / _config.RolloutBatchSize * _config.NumPpoEpochs
        : base.TotalSteps(stepsPerEpoch);

    /// <summary>The schedule advances once per rollout, over ceil(max_steps / num_ppo_epochs) rollouts.</summary>
    protected override (int Step, int Total) ScheduleProgress(int step, int maxSteps) =>
        (step / _config.NumPpoEpochs, Math.Max(1, (maxSteps + _config.NumPpoEpochs - 1) / _config.NumPpoEpochs));

    /// <inheritdoc />
    protected override int MicroBatchesPerEpoch(int exampleCount) => Math.Max(1, exampleCount / _config.RolloutBatchSize) * MicroStepsPerRollout;

    /// <summary>Each micro-batch is the whole rollout batch (shuffled per epoch, incomplete last batch dropped as TRL's
    /// drop_last), repeated for the micro-steps it feeds.</summary>
    protected override IEnumerable<IReadOnlyList<PromptExample>> EnumerateMicroBatches(IReadOnlyList<PromptExample> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        int n = _config.RolloutBatchSize;
        if (train.Count < n) throw new InvalidOperationException($"The dataset has {train.Count} prompts, fewer than one rollout needs ({n}).");
        for (int epoch = 0; ; epoch++)
        {
            var order = EpochPermutation(train.Count, _config.DataSeed ?? _config.Seed, epoch);
            for (int b = 0; b + n <= train.Count; b += n)
            {
                var batch = order.Skip(b).Take(n).Select(i => train[(int)i]).ToArray();
                for (int r = 0; r < MicroStepsPerRollout; r++) yield return batch;
            }
        }
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<PromptExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Evaluating) throw new NotSupportedException("PPO has no evaluation loss (TRL's PPOTrainer evaluates by sampling only); leave eval_strategy at no.");
        long micro = context.MicroStepsBefore;
        long rolloutIndex = micro / MicroStepsPerRollout;
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (_rollout is null || micro % MicroStepsPerRollout == 0)
        {
            _rollout?.Dispose();
            // The rollout's seed follows from its position in the run, so a resumed run samples the same.
            (_rollout, var rolloutMetrics) = Rollout(microBatch, _config.Seed + rolloutIndex);
            foreach (var (key, value) in rolloutMetrics) metrics[key] = value;
            metrics["episode"] = tensor((double)(rolloutIndex + 1) * _config.RolloutBatchSize);
        }
        var rollout = _rollout;
        int ppoEpoch = (int)(micro % MicroStepsPerRollout / _config.GradientAccumulationSteps);
        int k = (int)(micro % _config.GradientAccumulationSteps);
        int b = _config.PerDeviceTrainBatchSize;
        using var g = new Generator((ulong)((_config.Seed + 1) * 1_000_003L + rolloutIndex * 101 + ppoEpoch));
        var rows = randperm(_config.RolloutBatchSize, generator: g).narrow(0, k * b, b).to(Device);

        var ids = rollout.QueryResponses.index_select(0, rows);
        var mask = rollout.AttentionMask.index_select(0, rows);
        var (newLogprobs, entropy) = ResponseLogprobs(_policy, ids, mask, rollout.ContextLength, withEntropy: true);
        var values = ResponseValues(ids, mask, rollout.ContextLength);
        var output = PpoLoss.Compute(newLogprobs, values, rollout.Logprobs.index_select(0, rows), rollout.Values.index_select(0, rows),
            rollout.Returns.index_select(0, rows), rollout.Advantages.index_select(0, rows), rollout.PaddingMask.index_select(0, rows),
            rollout.PaddingMaskP1.index_select(0, rows), _config);
        metrics["policy/approxkl_avg"] = output.ApproxKl;
        metrics["policy/clipfrac_avg"] = output.PolicyClipFrac;
        metrics["loss/policy_avg"] = output.PolicyLoss;
        metrics["loss/value_avg"] = output.ValueLoss;
        metrics["val/clipfrac_avg"] = output.ValueClipFrac;
        metrics["policy/entropy_avg"] = entropy!.mean();
        metrics["val/ratio"] = output.RatioMean;
        return new LossOutput(output.Loss / context.GradientAccumulationSteps, metrics);
    }

    /// <summary>Samples, scores and evaluates one rollout batch (everything without gradients).</summary>
    (PpoRollout, Dictionary<string, Tensor>) Rollout(IReadOnlyList<PromptExample> prompts, long seed)
    {
        using var scope = NewDisposeScope();
        var generated = GenerateResponses(prompts, seed);
        var queries = SequencePadding.PadIds(prompts.Select(p => p.PromptIds).ToList(), _padTokenId, PaddingSide.Left, device: Device);
        var responses = SequencePadding.PadIds(generated.CompletionIds, _padTokenId, PaddingSide.Right, device: Device);
        long p = queries.shape[1];
        var queryResponses = cat(new[] { queries, responses }, 1);
        var mask = queryResponses.ne(_padTokenId).to_type(ScalarType.Int64);
        Tensor logprobs, refLogprobs, values;
        using (no_grad())
        {
            logprobs = ResponseLogprobs(_policy, queryResponses, mask, p, withEntropy: false).Logprobs;
            refLogprobs = _reference.Score(m => ResponseLogprobs(m, queryResponses, mask, p, withEntropy: false).Logprobs);
            values = ResponseValues(queryResponses, mask, p);
        }
        var postprocessed = PpoAdvantages.Truncate(responses, _stopTokenId, _padTokenId);
        var scores = ScoreResponses(prompts, postprocessed);
        var result = PpoAdvantages.Compute(responses, logprobs, refLogprobs, values, scores, _stopTokenId, _padTokenId, _eosTokenId, _config);
        var rollout = new PpoRollout(queryResponses, mask, p, result);
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["objective/kl"] = result.Kl.sum(1).mean(),
            ["objective/entropy"] = (-result.Logprobs).sum(1).mean(),
            ["objective/non_score_reward"] = result.NonScoreReward.sum(1).mean(),
            ["objective/rlhf_reward"] = result.NonScoreReward.sum(1).mean() + result.Scores.mean(),
            ["objective/scores"] = result.Scores.mean(),
            ["val/num_eos_tokens"] = responses.eq(_eosTokenId).sum().to_type(ScalarType.Float32),
        };
        foreach (var t in metrics.Values) t.MoveToOuterDisposeScope();
        return (rollout, metrics);
    }

    /// <summary>Per-token log-probs [B, T] of the responses under <paramref name="model"/>, from logits / (temperature +
    /// 1e-7) as TRL's, and optionally the entropy of those distributions.</summary>
    protected virtual (Tensor Logprobs, Tensor? Entropy) ResponseLogprobs(CausalLM model, Tensor queryResponses, Tensor attentionMask, long contextLength, bool withEntropy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(queryResponses);
        var ids = queryResponses.masked_fill(attentionMask.eq(0), 0);
        var hidden = model.Decoder.Forward(ids, attentionMask, Sequences.PositionIdsFromAttentionMask(attentionMask));
        var responses = queryResponses.narrow(1, contextLength, queryResponses.shape[1] - contextLength);
        var r = model.CompletionLogProbs(hidden, responses, new LmHeadLogProbsOptions { Temperature = _config.Temperature + 1e-7, Entropy = withEntropy });
        return (r.Logps, r.Entropy?.detach());
    }

    /// <summary>The value model at the positions that predict each response token, [B, T].</summary>
    protected virtual Tensor ResponseValues(Tensor queryResponses, Tensor attentionMask, long contextLength)
    {
        ArgumentNullException.ThrowIfNull(queryResponses);
        ArgumentNullException.ThrowIfNull(attentionMask);
        var ids = queryResponses.masked_fill(attentionMask.eq(0), 0);
        var all = _value.ForwardAllPositions(ids, attentionMask, Sequences.PositionIdsFromAttentionMask(attentionMask));
        long t = queryResponses.shape[1] - contextLength;
        return all.narrow(1, contextLength - 1, t).select(-1, 0);
    }

    /// <summary>Samples response_length tokens per prompt at temperature + 1e-7 with top_k 0 and top_p 1, without
    /// stopping at EOS (TRL clears the generation config's EOS; stop_token truncates afterwards).</summary>
    protected virtual GenerationResult GenerateResponses(IReadOnlyList<PromptExample> prompts, long seed)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return new TextGenerator(_policy).Generate(prompts.Select(p => p.PromptIds).ToList(), new GenerationOptions
        {
            MaxNewTokens = _config.ResponseLength, DoSample = true, Temperature = _config.Temperature + 1e-7, TopK = 0, TopP = 1.0,
            PadTokenId = _padTokenId, Seed = seed,
        });
    }

    /// <summary>The score [B] of each truncated response (the reward functions' weighted sum, before the missing-EOS
    /// penalty): decoded up to its last real token, without special tokens.</summary>
    protected virtual Tensor ScoreResponses(IReadOnlyList<PromptExample> prompts, Tensor postprocessedResponses)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(postprocessedResponses);
        var host = postprocessedResponses.cpu();
        var ids = Enumerable.Range(0, prompts.Count).Select(i =>
        {
            var row = host[i].data<long>().ToArray();
            int end = Array.IndexOf(row, _padTokenId);
            return (IReadOnlyList<long>)(end < 0 ? row : row[..end]);
        }).ToList();
        var texts = ids.Select(r => _tokenizer.Decode(r, skipSpecialTokens: true)).ToList();
        var table = RewardScoring.Score(_rewards, prompts, texts, ids, State);
        var sums = RewardScoring.WeightedSum(table, _rewards.Count, _config.RewardWeights);
        return tensor(sums.Select(s => (float)s).ToArray(), device: Device);
    }

    /// <inheritdoc />
    protected override void WriteCheckpointFiles(string directory)
    {
        base.WriteCheckpointFiles(directory);
        Safetensors.Save(Path.Combine(directory, ValueFile), _value.state_dict());
    }

    /// <inheritdoc />
    protected override void ReadCheckpointFiles(string directory)
    {
        var path = Path.Combine(directory, ValueFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"resume_from_checkpoint: {directory} has no {ValueFile} (not a PPO checkpoint?).", path);
        var tensors = Safetensors.Load(path);
        try
        {
            using var noGrad = no_grad();
            var own = _value.state_dict();
            foreach (var (name, t) in own)
                t.copy_(tensors.TryGetValue(name, out var saved) ? saved : throw new InvalidDataException($"{path}: {name} is missing."));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) { _rollout?.Dispose(); _rollout = null; }
        base.Dispose(disposing);
    }
}
