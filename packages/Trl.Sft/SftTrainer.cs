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
public sealed class SftTrainer : Trainer<TokenizedExample>
{
    readonly SftConfig _config;
    readonly LanguageModelingCollator _collator;
    readonly CausalLM _model;

    /// <summary>Creates a trainer over tokenized examples (see <see cref="SftDatasetPreparer"/>).</summary>
    public SftTrainer(CausalLM model, SftConfig config, IReadOnlyList<TokenizedExample> trainDataset, long padTokenId, ILogger? logger = null)
        : base(model, config, trainDataset, logger)
    {
        _model = model;
        _config = config;
        bool completionOnly = config.CompletionOnlyLoss ?? trainDataset.Any(e => e.CompletionMask is not null);
        _collator = new LanguageModelingCollator(padTokenId, completionOnly, config.UsesPaddingFree, config.PadToMultipleOf);
    }

    /// <summary>The collator that turns examples into batches.</summary>
    public LanguageModelingCollator Collator => _collator;

    /// <inheritdoc />
    protected override long CountLossItems(IReadOnlyList<TokenizedExample> microBatch) => _collator.CountLabels(microBatch);

    /// <inheritdoc />
    protected override long CountTokens(IReadOnlyList<TokenizedExample> microBatch) => microBatch.Sum(e => (long)e.InputIds.Count);

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<TokenizedExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = _collator.Collate(microBatch);
        // Packed documents share a row: their position ids restart, and attention must not cross them.
        var hidden = _model.Decoder.Forward(batch.InputIds, batch.AttentionMask, batch.PositionIds, packed: batch.PositionIds is not null);
        long t = batch.InputIds.shape[1];
        var labels = batch.Labels.narrow(1, 1, t - 1).reshape(-1);
        var h = hidden.narrow(1, 0, t - 1).reshape(-1, hidden.shape[^1]);
        // Only positions with a label reach lm_head: the full-vocab logits of prompt and padding are never made.
        var validIndex = labels.ne(Sequences.IgnoreIndex).nonzero().squeeze(1);
        var validLabels = labels.index_select(0, validIndex);
        var validHidden = h.index_select(0, validIndex);
        Tensor lossSum;
        double entropySum = 0, correct = 0;
        long n = validIndex.shape[0];
        if (_config.LossType == "chunked_nll")
        {
            lossSum = zeros(1, dtype: ScalarType.Float32, device: hidden.device).squeeze();
            const int chunk = 256;
            for (long s = 0; s < n; s += chunk)
            {
                long len = Math.Min(chunk, n - s);
                var logits = _model.Project(validHidden.narrow(0, s, len));
                var y = validLabels.narrow(0, s, len);
                lossSum = lossSum + SftLoss.TokenLossSum(logits, y, "nll");
                (entropySum, correct) = Accumulate(logits, y, entropySum, correct);
            }
        }
        else
        {
            var logits = _model.Project(validHidden);
            lossSum = SftLoss.TokenLossSum(logits, validLabels, _config.LossType);
            (entropySum, correct) = Accumulate(logits, validLabels, entropySum, correct);
        }
        // Zero valid tokens still keeps the graph connected (TRL multiplies the hidden states by 0).
        if (n == 0) lossSum = lossSum + hidden.sum() * 0;
        var loss = lossSum / Math.Max(1, context.NumItemsInBatch);
        var metrics = new Dictionary<string, double>
        {
            ["entropy"] = n == 0 ? double.NaN : entropySum / n,
            ["mean_token_accuracy"] = n == 0 ? double.NaN : correct / n,
        };
        return new LossOutput(loss, metrics);
    }

    static (double Entropy, double Correct) Accumulate(Tensor logits, Tensor labels, double entropy, double correct)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var l = logits.detach();
        entropy += LogProbs.EntropyFromLogits(l).sum().to_type(ScalarType.Float64).item<double>();
        correct += l.argmax(-1).eq(labels).sum().to_type(ScalarType.Float64).item<double>();
        return (entropy, correct);
    }
}
