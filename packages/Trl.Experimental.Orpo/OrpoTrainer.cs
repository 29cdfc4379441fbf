using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Kernels;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Orpo;

/// <summary>Odds Ratio Preference Optimization (TRL's ORPOTrainer): NLL on prompt+chosen minus β·mean log σ(log odds
/// ratio) of the average per-token log-probs; no reference model.</summary>
public sealed class OrpoTrainer(CausalLM model, OrpoConfig config, IReadOnlyList<LegacyPreferenceExample> trainDataset, long padTokenId, ILogger? logger = null)
    : Trainer<LegacyPreferenceExample>(model, config, trainDataset, logger)
{
    /// <summary>log(1 − eˣ) for x &lt; 0, computed stably.</summary>
    public static Tensor Log1mExp(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return where(x.lt(-Math.Log(2)), (-x.exp()).log1p(), (-x.expm1()).log());
    }

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<LegacyPreferenceExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = new LegacyPreferenceBatch(microBatch, padTokenId);
        int b = batch.Pairs;
        var positions = batch.PositionLogProbs(model);
        var logps = batch.SequenceLogps(positions.Logps, average: true);
        var lc = logps.narrow(0, 0, b);
        var lr = logps.narrow(0, b, b);
        var logOdds = (lc - lr) - (Log1mExp(lc) - Log1mExp(lr));
        var ratio = F.logsigmoid(logOdds);
        // ORPO's NLL covers prompt and chosen tokens alike (every attended position).
        var nllLabels = batch.InputIds.masked_fill(batch.AttentionMask.eq(0), Sequences.IgnoreIndex);
        var nll = LegacyPreferenceBatch.ChosenNll(positions.Logps, nllLabels, b);
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
