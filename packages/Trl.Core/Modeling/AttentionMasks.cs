using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>Builds the additive attention mask [B, 1, Tq, Tk] for a forward pass, or null when a plain causal
/// SDPA suffices (no padding, no cache offset, no window, no packing) so no (B, 1, T, T) tensor is made.</summary>
internal static class AttentionMasks
{
    /// <summary>Builds the mask. <paramref name="attentionMask"/> covers all Tk = past + Tq keys (1 = attend).
    /// <paramref name="packedPositionIds"/>, when given, marks packed documents (positions restart at 0) that
    /// must not attend to each other.</summary>
    public static Tensor? Build(Tensor? attentionMask, long queryLength, long pastLength, int? slidingWindow,
        Tensor? packedPositionIds, ScalarType dtype, Device device)
    {
        long keyLength = pastLength + queryLength;
        // Whether any key is masked decides between SDPA's built-in causal mask and an explicit one. Reading that is
        // free for a host tensor; on an accelerator it would stall the stream every forward, so there a given mask is
        // always applied (same result, no sync).
        bool padded = attentionMask is not null && (attentionMask.device_type != TorchSharp.DeviceType.CPU
            || !attentionMask.to_type(ScalarType.Bool).all().item<bool>());
        bool windowed = slidingWindow is int w && keyLength > w;
        if (!padded && !windowed && packedPositionIds is null && (pastLength == 0 || queryLength == 1))
            return null;

        using var scope = NewDisposeScope();
        var q = arange(pastLength, keyLength, device: device).unsqueeze(1);
        var k = arange(keyLength, device: device).unsqueeze(0);
        var allowed = k.le(q).unsqueeze(0).unsqueeze(0);                  // [1, 1, Tq, Tk]
        if (windowed) allowed = allowed.logical_and(k.gt(q - slidingWindow!.Value).unsqueeze(0).unsqueeze(0));
        if (padded) allowed = allowed.logical_and(attentionMask!.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1));
        if (packedPositionIds is not null)
        {
            var doc = packedPositionIds.eq(0).to_type(ScalarType.Int64).cumsum(-1);     // [B, T]
            allowed = allowed.logical_and(doc.unsqueeze(2).eq(doc.unsqueeze(1)).unsqueeze(1));
        }
        double min = dtype switch
        {
            ScalarType.Float16 => -65504.0,
            ScalarType.BFloat16 => -3.3895313892515355e38,
            ScalarType.Float64 => double.MinValue,
            _ => float.MinValue,
        };
        var additive = zeros(allowed.shape, dtype: dtype, device: device).masked_fill(allowed.logical_not(), min);
        return additive.MoveToOuterDisposeScope();
    }
}
