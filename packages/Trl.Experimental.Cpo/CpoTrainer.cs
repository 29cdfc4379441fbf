using Microsoft.Extensions.Logging;
using Trl.Modeling;
using Trl.Shared;
using Trl.Training;
using static TorchSharp.torch;

namespace Trl.Cpo;

/// <summary>Contrastive Preference Optimization (TRL's CPOTrainer): a reference-free preference loss on the policy's
/// own log-probs plus cpo_alpha × NLL on the chosen answers; SimPO and AlphaPO through loss_type/alpha.</summary>
public class CpoTrainer(CausalLM model, CpoConfig config, IReadOnlyList<CpoExample> trainDataset, long padTokenId, ILogger? logger = null)
    : Trainer<CpoExample>(model, config, trainDataset, logger)
{
    /// <summary>The policy being trained.</summary>
    protected CausalLM Policy => model;

    /// <summary>The configuration.</summary>
    protected CpoConfig Config => config;

    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<CpoExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(microBatch);
        ArgumentNullException.ThrowIfNull(context);
        using var batch = new PairedPreferenceBatch(microBatch.Select(e => new PairedPreferenceTokens(e.PromptIds, e.ChosenIds, e.ChosenLabels, e.RejectedIds, e.RejectedLabels)).ToList(), padTokenId, Device);
        int b = batch.Pairs;
        double alpha = config.LossType == "alphapo" ? 0 : config.CpoAlpha;
        var positions = batch.PositionLogProbs(model);
        var logps = batch.SequenceLogps(positions.Logps, average: config.EffectiveLossType is "ipo" or "simpo");
        var s = CpoLoss.Rewards(logps, config.Alpha);
        var losses = CpoLoss.PerPair(config, s.narrow(0, 0, b), s.narrow(0, b, b));
        var nll = alpha == 0 ? zeros(1, device: logps.device).squeeze() : PairedPreferenceBatch.ChosenNll(positions.Logps, batch.Labels, b);
        var loss = losses.mean() + alpha * nll;
        var rc = config.Beta * s.narrow(0, 0, b).detach();
        var rr = config.Beta * s.narrow(0, b, b).detach();
        var metrics = new Dictionary<string, Tensor>
        {
            ["rewards/chosen"] = rc.mean(),
            ["rewards/rejected"] = rr.mean(),
            ["rewards/accuracies"] = rc.gt(rr).to_type(ScalarType.Float32).mean(),
            ["rewards/margins"] = (rc - rr).mean(),
            ["logps/chosen"] = logps.narrow(0, 0, b).detach().mean(),
            ["logps/rejected"] = logps.narrow(0, b, b).detach().mean(),
            ["logits/chosen"] = positions.MeanLogit!.narrow(0, 0, b).mean(),
            ["logits/rejected"] = positions.MeanLogit!.narrow(0, b, b).mean(),
            ["nll_loss"] = nll.detach(),
        };
        return new LossOutput(loss / context.GradientAccumulationSteps, metrics);
    }
}
