using Microsoft.Extensions.Logging;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Shared;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Orpo;

/// <summary>Odds Ratio Preference Optimization (TRL's ORPOTrainer): NLL on prompt+chosen minus β·mean log σ(log odds
/// ratio) of the average per-token log-probs; no reference model.</summary>
public class OrpoTrainer(CausalLM model, OrpoConfig config, IReadOnlyList<OrpoExample> trainDataset, long padTokenId, ILogger? logger = null)
    : Trainer<OrpoExample>(model, config, trainDataset, logger)
{
    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => model;

    /// <summary>The configuration.</summary>
    protected OrpoConfig Config => config;

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<OrpoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        using var batch = new PairedPreferenceBatch(microBatch.Select(e => new PairedPreferenceTokens(e.PromptIds, e.ChosenIds, e.ChosenLabels, e.RejectedIds, e.RejectedLabels)).ToList(), padTokenId, Device);
        int b = batch.Pairs;
        var positions = batch.PositionLogProbs(model);
        var logps = batch.SequenceLogps(positions.Logps, average: true);
        var lc = logps.narrow(0, 0, b);
        var lr = logps.narrow(0, b, b);
        var (logOdds, ratio) = OrpoLoss.OddsRatio(lc, lr);
        // ORPO's NLL covers prompt and chosen tokens alike (every attended position).
        var nllLabels = batch.InputIds.masked_fill(batch.AttentionMask.eq(0), Sequences.IgnoreIndex);
        var nll = PairedPreferenceBatch.ChosenNll(positions.Logps, nllLabels, b);
        var loss = nll - config.Beta * ratio.mean();
        var rc = config.Beta * lc.detach();
        var rr = config.Beta * lr.detach();
        long t = batch.InputIds.shape[1] - 1;
        var metrics = new Dictionary<string, Tensor>
        {
            ["rewards/chosen"] = rc.mean(),
            ["rewards/rejected"] = rr.mean(),
            ["rewards/accuracies"] = rc.gt(rr).to_type(ScalarType.Float32).mean(),
            ["rewards/margins"] = (rc - rr).mean(),
            ["logps/chosen"] = lc.detach().mean(),
            ["logps/rejected"] = lr.detach().mean(),
            // ORPO (unlike CPO) averages the logits without the last position.
            ["logits/chosen"] = positions.MeanLogit!.narrow(0, 0, b).narrow(1, 0, t).mean(),
            ["logits/rejected"] = positions.MeanLogit!.narrow(0, b, b).narrow(1, 0, t).mean(),
            ["nll_loss"] = nll.detach(),
            ["log_odds_ratio"] = ratio.detach().mean(),
            ["log_odds_chosen"] = logOdds.detach().mean(),
        };
        return new LossOutput(loss / context.GradientAccumulationSteps, metrics);
    }
}
