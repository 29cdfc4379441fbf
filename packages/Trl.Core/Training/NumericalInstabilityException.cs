using System.Globalization;

namespace Trl.Training;

/// <summary>An optimizer step produced a NaN or infinite loss or gradient norm. The step was not applied: the model and
/// optimizer hold the last good state (the weights after the previous step).</summary>
public sealed class NumericalInstabilityException : Exception
{
    /// <summary>Creates the exception for a 1-based step with the values seen.</summary>
    public NumericalInstabilityException(int step, double loss, double gradNorm)
        : base(string.Create(CultureInfo.InvariantCulture, $"step {step}: the loss ({loss}) or the gradient norm ({gradNorm}) is not finite; the step was not applied and the model keeps the weights of step {step - 1}."))
    {
        Step = step;
        Loss = loss;
        GradNorm = gradNorm;
    }

    /// <summary>Creates the exception.</summary>
    public NumericalInstabilityException() { }

    /// <summary>Creates the exception.</summary>
    public NumericalInstabilityException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public NumericalInstabilityException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The 1-based optimizer step that failed.</summary>
    public int Step { get; }
    /// <summary>The step's loss.</summary>
    public double Loss { get; }
    /// <summary>The step's pre-clip gradient norm.</summary>
    public double GradNorm { get; }
    /// <summary>The checkpoint holding the last good state (saved when the failure was caught), or null.</summary>
    public string? Checkpoint { get; set; }
}
