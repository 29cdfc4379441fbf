namespace Trl.Training;

/// <summary>What a loss computation needs to know about the optimizer step it belongs to.</summary>
/// <param name="GradientAccumulationSteps">Micro-batches in this optimizer step.</param>
/// <param name="NumItemsInBatch">Loss items (e.g. label tokens) over all micro-batches of the step, for
/// token-count-aware normalisation as transformers' num_items_in_batch.</param>
public sealed record StepContext(int GradientAccumulationSteps, long NumItemsInBatch)
{
    /// <summary>True while <see cref="Trainer{TExample}.Evaluate"/> runs (no gradients, no trainer state changes).</summary>
    public bool Evaluating { get; init; }
}
