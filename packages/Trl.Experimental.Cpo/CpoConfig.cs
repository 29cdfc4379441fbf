using Trl.Training;

namespace Trl.Cpo;

/// <summary>TRL's CPOConfig with its defaults.</summary>
public record CpoConfig : TrainingOptions
{
    /// <summary>Creates a config with TRL's CPO defaults.</summary>
    public CpoConfig() => LoggingSteps = 10;

    /// <summary>Temperature of the reward.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>sigmoid, hinge, ipo, simpo or alphapo (simpo with cpo_alpha 0).</summary>
    public string LossType { get; init; } = "sigmoid";
    /// <summary>Label smoothing ε of the sigmoid/simpo loss.</summary>
    public double LabelSmoothing { get; init; }
    /// <summary>Weight of the NLL term on chosen answers.</summary>
    public double CpoAlpha { get; init; } = 1.0;
    /// <summary>SimPO's target margin γ.</summary>
    public double SimpoGamma { get; init; } = 0.5;
    /// <summary>AlphaPO's reward shape α (0 = log-prob rewards).</summary>
    public double Alpha { get; init; }
    /// <summary>Longest prompt+answer.</summary>
    public int? MaxLength { get; init; } = 1024;

    /// <summary>The loss type after resolving alphapo (which is simpo without the NLL term).</summary>
    public string EffectiveLossType => LossType == "alphapo" ? "simpo" : LossType;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (LossType is not ("sigmoid" or "hinge" or "ipo" or "simpo" or "alphapo"))
            throw new ArgumentException($"loss_type must be sigmoid, hinge, ipo, simpo or alphapo (got '{LossType}').");
    }
}
