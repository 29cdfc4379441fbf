using Microsoft.Extensions.Logging;
using TorchSharp;
using Trl.Generation;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Gkd;

/// <summary>Generalized Knowledge Distillation (TRL's GKDTrainer). Each micro-step draws u ~ U(0, 1): if u ≤ lmbda the
/// batch's completions are replaced by the student's own samples (on-policy), else with seq_kd by the teacher's; then the
/// student is trained on the generalized JSD to the frozen teacher's token distributions over the label positions
/// (<see cref="GeneralizedJsd"/>), normalised by the step's dataset label count (transformers' num_items_in_batch).</summary>
public class GkdTrainer : Trainer<GkdExample>
{
    readonly CausalLM _student;
    readonly CausalLM _teacher;
    readonly GkdConfig _config;
    readonly long _padTokenId;
    readonly IReadOnlyList<long> _eosTokenIds;

    /// <summary>Creates a trainer distilling <paramref name="teacherModel"/> (frozen; same vocabulary) into
    /// <paramref name="model"/>.</summary>
    public GkdTrainer(CausalLM model, CausalLM teacherModel, GkdConfig config, IReadOnlyList<GkdExample> trainDataset, long padTokenId,
        IReadOnlyList<long>? eosTokenIds = null, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _student = model;
        _teacher = teacherModel ?? throw new ArgumentNullException(nameof(teacherModel));
        _config = config;
        if (teacherModel.Config.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"The teacher's vocabulary ({teacherModel.Config.VocabSize}) differs from the student's ({model.Config.VocabSize}); GKD compares token distributions and needs the same one.", nameof(teacherModel));
        _teacher.Freeze();
        if (!TrainingDevice.Same(_teacher.Device, Device)) _teacher.to(Device);
        _padTokenId = padTokenId;
        _eosTokenIds = eosTokenIds ?? model.Config.EosTokenIds;
    }

    /// <summary>The student being trained.</summary>
    protected CausalLM Student => _student;
    /// <summary>The frozen teacher.</summary>
    protected CausalLM Teacher => _teacher;
    /// <summary>The configuration.</summary>
    protected GkdConfig Config => _config;

    /// <inheritdoc />
    protected override long CountLossItems(IReadOnlyList<GkdExample> microBatch) => microBatch.Sum(e => (long)e.CompletionLength);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<GkdExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        var batch = GkdBatch.From(microBatch.Select(e => e.InputIds).ToList(), microBatch.Select(e => e.PromptLength).ToList(), _padTokenId, Device);
        double onPolicy = 0;
        if (!context.Evaluating)
        {
            // The draw follows from the micro-step's position in the run, so a resumed run draws the same.
            double u = new Random(unchecked((int)(_config.Seed * 1_000_003L + context.MicroStepsBefore))).NextDouble();
            long seed = _config.Seed + context.MicroStepsBefore;
            if (u <= _config.Lmbda) { batch = Regenerate(_student, batch, seed); onPolicy = 1; }
            else if (_config.SeqKd) batch = Regenerate(_teacher, batch, seed);
        }
        var positions = Sequences.PositionIdsFromAttentionMask(batch.AttentionMask);
        var studentLogits = _student.Forward(batch.InputIds, batch.AttentionMask, positions);
        Tensor teacherLogits;
        using (no_grad()) using (_teacher.EvaluationMode()) teacherLogits = _teacher.Forward(batch.InputIds, batch.AttentionMask, positions);
        long length = batch.InputIds.shape[1] - 1;
        var loss = GeneralizedJsd.Compute(studentLogits.narrow(1, 0, length), teacherLogits.narrow(1, 0, length), batch.Labels.narrow(1, 1, length),
            _config.Beta, numItemsInBatch: Math.Max(1, context.NumItemsInBatch));
        var metrics = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["on_policy"] = tensor(onPolicy) };
        return new LossOutput(loss, metrics);
    }

    /// <summary>Replaces each completion by a sample of <paramref name="model"/> from the prompt (TRL's
    /// generate_on_policy_outputs: temperature, top_k 0, top_p 1, stopping after EOS, which stays a label).</summary>
    protected virtual GkdBatch Regenerate(CausalLM model, GkdBatch batch, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var generated = new TextGenerator(model).Generate(batch.Prompts, new GenerationOptions
        {
            MaxNewTokens = _config.MaxNewTokens, DoSample = true, Temperature = _config.Temperature, TopK = 0, TopP = 1.0,
            EosTokenIds = _eosTokenIds, PadTokenId = _padTokenId, Seed = seed,
        });
        var sequences = batch.Prompts.Select((p, i) => (IReadOnlyList<long>)p.Concat(generated.CompletionIds[i]).ToArray()).ToList();
        return GkdBatch.From(sequences, batch.Prompts.Select(p => p.Count).ToList(), _padTokenId, Device);
    }
}
