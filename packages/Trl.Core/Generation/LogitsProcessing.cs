using static TorchSharp.torch;

namespace Trl.Generation;

/// <summary>Next-token logits processors in transformers' order: repetition penalty, then temperature, top-k,
/// top-p and min-p. Removed tokens get −∞.</summary>
internal static class LogitsProcessing
{
    /// <summary>Applies the processors enabled in <paramref name="options"/> to logits [B, V]; <paramref name="seen"/>
    /// holds the ids so far [B, T] for the repetition penalty.</summary>
    public static Tensor Process(Tensor logits, Tensor seen, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(options);
        using var scope = NewDisposeScope();
        var l = logits.to_type(ScalarType.Float32);
        if (options.RepetitionPenalty != 1.0)
        {
            var score = l.gather(1, seen);
            score = where(score.lt(0), score * options.RepetitionPenalty, score / options.RepetitionPenalty);
            l = l.scatter(1, seen, score);
        }
        if (!options.DoSample) return l.MoveToOuterDisposeScope();
        if (options.Temperature != 1.0) l = l / options.Temperature;
        if (options.TopK > 0 && options.TopK < l.shape[1])
        {
            var kth = l.topk(options.TopK).values.narrow(1, options.TopK - 1, 1);
            l = l.masked_fill(l.lt(kth), double.NegativeInfinity);
        }
        if (options.TopP < 1.0)
        {
            var (sorted, order) = l.sort(-1, descending: false);
            var remove = sorted.softmax(-1).cumsum(-1).le(1 - options.TopP);
            remove[.., ^1] = tensor(false);                      // always keep the most likely token
            l = l.masked_fill(remove.scatter(1, order, remove), double.NegativeInfinity);
        }
        if (options.MinP is double minP)
        {
            var probs = l.softmax(-1);
            var threshold = probs.max(-1, keepdim: true).values * minP;
            l = l.masked_fill(probs.lt(threshold), double.NegativeInfinity);
        }
        return l.MoveToOuterDisposeScope();
    }
}
