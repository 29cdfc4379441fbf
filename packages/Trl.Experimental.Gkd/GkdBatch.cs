using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Gkd;

/// <summary>A left-padded batch as TRL's ChatML collator builds it: input ids, attention mask and labels (−100 on the
/// prompt and padding), plus the prompts alone for on-policy generation.</summary>
public sealed record GkdBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels, IReadOnlyList<IReadOnlyList<long>> Prompts)
{
    /// <summary>Pads sequences whose first <paramref name="promptLengths"/> tokens are the prompt.</summary>
    public static GkdBatch From(IReadOnlyList<IReadOnlyList<long>> sequences, IReadOnlyList<int> promptLengths, long padTokenId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(promptLengths);
        var labels = sequences.Select((s, i) => (IReadOnlyList<long>)s.Select((t, j) => j < promptLengths[i] ? Sequences.IgnoreIndex : t).ToArray()).ToList();
        return new GkdBatch(
            SequencePadding.PadIds(sequences, padTokenId, PaddingSide.Left, device: device),
            SequencePadding.AttentionMask(sequences, PaddingSide.Left, device: device),
            SequencePadding.PadIds(labels, Sequences.IgnoreIndex, PaddingSide.Left, device: device),
            sequences.Select((s, i) => (IReadOnlyList<long>)s.Take(promptLengths[i]).ToArray()).ToList());
    }
}
