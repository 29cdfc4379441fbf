using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.Modeling;
using Trl.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Trl.Cpo;

/// <summary>Contrastive Preference Optimization (TRL's CPOTrainer): a reference-free preference loss on the policy's
/// own log-probs plus cpo_alpha × NLL on the chosen answers; SimPO and AlphaPO through loss_type/alpha.</summary>
public sealed class CpoTrainer(CausalLM model, CpoConfig config, IReadOnlyList<LegacyPreferenceExample> trainDataset, long padTokenId, ILogger? logger = null)
    : Trainer<LegacyPreferenceExample>(model, config, trainDataset, logger)
{
    /// <inheritdoc />
    protected override LossOutput ComputeLoss(IReadOnlyList<LegacyPreferenceExample> microBatch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var batch = new LegacyPreferenceBatch(microBatch, padTokenId);
        int b = batch.Pairs;
        var type = config.EffectiveLossType;
        double alpha = config.LossType == "alphapo" ? 0 : config.CpoAlpha;
        var positions = batch.PositionLogProbs(model);
        var logps = batch.SequenceLogps(positions.Logps, average: type is "ipo" or "simpo");
        var s = config.Alpha != 0 ? (1 - (logps.exp()).pow(-config.Alpha)) / config.Alpha : logps;
        var x = s.narrow(0, 0, b) - s.narrow(0, b, b);
        double beta = config.Beta, eps = config.LabelSmoothing;
        Tensor Smoothed(Tensor d) => -(1 - eps) * F.logsigmoid(beta * d) - eps * F.logsigmoid(-beta * d);
        var losses = type switch
        {
            "sigmoid" => Smoothed(x),
            "simpo" => Smoothed(x - config.SimpoGamma / beta),
            "hinge" => (1 - beta * x).relu(),
            _ => (x - 1 / (2 * beta)).pow(2),
        };
        var nll = alpha == 0 ? zeros(1, device: logps.device).squeeze() : LegacyPreferenceBatch.ChosenNll(positions.Logps, batch.Labels, b);
        var loss = losses.mean() + alpha * nll;
        var rc = beta * s.narrow(0, 0, b).detach();
        var rr = beta * s.narrow(0, b, b).detach();
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
