namespace Trl.Training;

/// <summary>What a loss computation needs to know about the optimizer step it belongs to.</summary>
/// <param name="gradientAccumulationSteps">Micro-batches in this optimizer step.</param>
/// <param name="numItemsInBatch">Loss items (e.g. label tokens) over all micro-batches of the step, for
/// token-count-aware normalisation as transformers' num_items_in_batch.</param>
public sealed class StepContext(int gradientAccumulationSteps, long numItemsInBatch)
{
    /// <summary>Micro-batches in this optimizer step.</summary>
    public int GradientAccumulationSteps { get; } = gradientAccumulationSteps;

    /// <summary>Loss items over all micro-batches of the step (transformers' num_items_in_batch).</summary>
    public long NumItemsInBatch { get; } = numItemsInBatch;

    /// <summary>True while <see cref="Trainer{TExample}.Evaluate"/> runs (no gradients, no trainer state changes).</summary>
    public bool Evaluating { get; init; }

    /// <summary>Optimizer steps completed before this one (transformers' state.global_step during the step).</summary>
    public int GlobalStep { get; init; }

    /// <summary>Index of this micro-batch within its optimizer step (0 … gradient_accumulation_steps − 1).</summary>
    public int MicroStep { get; init; }

    /// <summary>Micro-batches consumed before this one since the start of training.</summary>
    public long MicroStepsBefore => (long)GlobalStep * GradientAccumulationSteps + MicroStep;

    /// <summary>Whether this is the last micro-batch of its optimizer step.</summary>
    public bool IsLastMicroStep => MicroStep == GradientAccumulationSteps - 1;
}
