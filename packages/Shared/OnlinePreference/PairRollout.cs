using Trl.Generation;
using Trl.Kernels;
using static TorchSharp.torch;

namespace Trl.Online;

/// <summary>Sampled completions of a micro-batch of prompts as the Online DPO family lays them out: prompts left-padded,
/// completions right-padded and cut after their first EOS (TRL's truncate_right: the EOS is kept, mask 1 up to it), with
/// whether each completion contains an EOS.</summary>
internal sealed class PairRollout
{
    public required Tensor PromptIds { get; init; }
    public required Tensor PromptMask { get; init; }
    public required Tensor CompletionIds { get; init; }
    public required Tensor CompletionMask { get; init; }
    public required bool[] ContainsEos { get; init; }
    public required GenerationResult Generated { get; init; }

    public static PairRollout From(GenerationResult generated, long padTokenId, Device device)
    {
        var prompts = generated.PromptIds;
        var nonEmpty = generated.CompletionIds.Select(c => c.Count == 0 ? (IReadOnlyList<long>)new[] { padTokenId } : c).ToList();
        var completion = SequencePadding.PadIds(nonEmpty, padTokenId, PaddingSide.Right, device: device);
        var mask = SequencePadding.AttentionMask(generated.CompletionIds, PaddingSide.Right, device: device);
        if (mask.shape[1] < completion.shape[1]) mask = nn.functional.pad(mask, new long[] { 0, completion.shape[1] - mask.shape[1] });
        return new PairRollout
        {
            PromptIds = SequencePadding.PadIds(prompts, padTokenId, PaddingSide.Left, device: device),
            PromptMask = SequencePadding.AttentionMask(prompts, PaddingSide.Left, device: device),
            CompletionIds = completion,
            CompletionMask = mask,
            ContainsEos = generated.EndedWithEos.ToArray(),
            Generated = generated,
        };
    }
}
