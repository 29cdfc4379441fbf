namespace Trl.Online;

/// <summary>TRL's per-epoch hyper-parameter lists (beta, alpha, mixture_coef): the value of epoch ⌊epoch⌋, the last one
/// after the list ends (TRL indexes by the fractional epoch, a latent error; this is its documented intent).</summary>
internal static class PerEpoch
{
    public static double Value(IReadOnlyList<double> values, double epoch)
    {
        if (values.Count == 0) throw new ArgumentException("a per-epoch list needs at least one value.");
        return values[Math.Min((int)Math.Floor(Math.Max(0, epoch)), values.Count - 1)];
    }
}
