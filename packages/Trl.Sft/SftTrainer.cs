using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Sft;

/// <summary>Supervised fine-tuning (TRL's SFTTrainer): next-token loss on labels (completion tokens only when the
/// data has prompts), normalised by the label tokens of the whole accumulated step. Logs loss, entropy,
/// num_tokens and mean_token_accuracy under TRL's names.</summary>
public class SftTrainer : Trainer<SftExample>
{
    readonly SftConfig _config;
    readonly SftCollator _collator;
    readonly CausalLM _model;

    /// <summary>The model being trained.</summary>
    protected CausalLM Policy => _model;

    /// <summary>The configuration.</summary>
    protected SftConfig Config => _config;

    /// <summary>Creates a trainer over tokenized examples (see <see cref="SftDatasetPreparer"/>).</summary>
    public SftTrainer(CausalLM model, SftConfig config, IReadOnlyList<SftExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _model = model;
        _config = config;
        bool completionOnly = config.CompletionOnlyLoss ?? trainDataset.Any(e => e.CompletionMask is not null);
        _collator = new SftCollator(padTokenId, completionOnly, config.UsesPaddingFree, config.PadToMultipleOf) { Device = Device };
    }

    /// <summary>The collator that turns examples into batches.</summary>
    public SftCollator Collator => _collator;

    /// <inheritdoc />
    protected override long CountLossItems(IReadOnlyList<SftExample> microBatch) => _collator.CountLabels(microBatch);

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<SftExample> microBatch) => microBatch.Sum(e => (long)e.InputIds.Count);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<SftExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = _collator.Collate(microBatch);
        // Packed documents share a row: their position ids restart, and attention must not cross them.
        var hidden = _model.Decoder.Forward(batch.InputIds, batch.AttentionMask, batch.PositionIds, packed: batch.PositionIds is not null);
        long t = batch.InputIds.shape[1];
        // Only positions with a label reach lm_head, chunk by chunk: the full-vocab logits of prompt and padding are never made.
        var rows = hidden.narrow(1, 0, t - 1).reshape(-1, hidden.shape[^1]).index_select(0, batch.TargetIndex);
        var targets = batch.InputIds.narrow(1, 1, t - 1).reshape(-1).index_select(0, batch.TargetIndex);
        long n = batch.TargetIndex.shape[0];
        var token = _model.TokenLogProbs(rows, targets, new LmHeadLogProbsOptions { Entropy = true, Statistics = true });
        var perToken = SftLoss.PerToken(token.Logps, _config.LossType);
        // Zero valid tokens still keeps the graph connected (TRL multiplies the hidden states by 0).
        var lossSum = n == 0 ? hidden.sum() * 0 : perToken.sum();
        var loss = lossSum / Math.Max(1, context.NumItemsInBatch);
        // TRL reports 0 (not NaN) for a micro-batch without a label token.
        var metrics = new Dictionary<string, Tensor>
        {
            ["entropy"] = n == 0 ? tensor(0.0) : token.Entropy!.detach().mean(),
            ["mean_token_accuracy"] = n == 0 ? tensor(0.0) : token.Argmax!.eq(targets).to_type(ScalarType.Float32).mean(),
        };
        return new LossOutput(loss, metrics);
    }
}
