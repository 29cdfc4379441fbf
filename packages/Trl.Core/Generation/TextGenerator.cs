using Trl.Kernels;
using Trl.Modeling;
using static TorchSharp.torch;

namespace Trl.Generation;

/// <summary>Batched autoregressive generation with a KV cache: prompts are left-padded, position ids follow
/// the attention mask, each decode step feeds one token per row, and rows stop independently at EOS.</summary>
public sealed class TextGenerator
{
    readonly CausalLM _model;

    /// <summary>Creates a generator over a model.</summary>
    public TextGenerator(CausalLM model)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
    }

    /// <summary>Generates completions for each prompt (<see cref="GenerationOptions.NumReturnSequences"/> per prompt,
    /// in prompt order).</summary>
    public GenerationResult Generate(IReadOnlyList<IReadOnlyList<long>> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        if (prompts.Count == 0) return new GenerationResult(Array.Empty<IReadOnlyList<long>>(), Array.Empty<IReadOnlyList<long>>());
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("Every prompt needs at least one token.", nameof(prompts));
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(p, options.NumReturnSequences)).ToList();
        int rows = expanded.Count;
        var device = _model.Device;
        using var generator = options.Seed is long seed ? new Generator((ulong)seed, device) : null;
        var completions = Enumerable.Range(0, rows).Select(_ => new List<long>()).ToArray();
        var ended = new bool[rows];
        var eos = options.EosTokenIds.ToHashSet();
        using var evaluationMode = _model.EvaluationMode();
        using var noGrad = no_grad();
        using var cache = new KvCache(_model.Config.NumHiddenLayers);
        var mixture = options.Mixture;
        if (mixture is not null && mixture.Coefficient is < 0 or > 1) throw new ArgumentException($"The mixture coefficient must be in [0, 1] (got {mixture.Coefficient}).", nameof(options));
        using var referenceCache = mixture is null ? null : new KvCache(mixture.Reference.Config.NumHiddenLayers);
        using var referenceEval = mixture is null || ReferenceEquals(mixture.Reference, _model) ? null : mixture.Reference.EvaluationMode();
        using var outer = NewDisposeScope();
        var ids = SequencePadding.PadIds(expanded, options.PadTokenId, PaddingSide.Left).to(device);
        var mask = SequencePadding.AttentionMask(expanded, PaddingSide.Left).to(device);
        var seen = ids;
        var input = ids;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var positions = Sequences.PositionIdsFromAttentionMask(mask).narrow(1, mask.shape[1] - input.shape[1], input.shape[1]);
            // Only the last position is sampled from: the prefill projects one row per prompt, not every prompt token.
            var hidden = _model.Decoder.Forward(input, mask, positions, cache);
            var last = _model.Project(hidden.select(1, hidden.shape[1] - 1));
            if (mixture is not null) last = Mix(last, mixture, input, mask, positions, referenceCache!);
            var processed = LogitsProcessing.Process(last, seen, options);
            var next = options.DoSample
                ? multinomial(processed.softmax(-1), 1, generator: generator).squeeze(1)
                : processed.argmax(-1);
            var nextIds = next.cpu().data<long>().ToArray();
            bool allDone = true;
            for (int r = 0; r < rows; r++)
            {
                if (ended[r]) { nextIds[r] = options.PadTokenId; continue; }
                completions[r].Add(nextIds[r]);
                if (eos.Contains(nextIds[r])) ended[r] = true;
                allDone &= ended[r];
            }
            if (allDone) break;
            input = tensor(nextIds, new long[] { rows, 1 }, device: device).MoveToOuterDisposeScope();
            seen = cat(new[] { seen, input }, 1).MoveToOuterDisposeScope();
            mask = cat(new[] { mask, ones(rows, 1, dtype: ScalarType.Int64, device: device) }, 1).MoveToOuterDisposeScope();
        }
        return new GenerationResult(expanded, completions) { EndedWithEos = ended };
    }

    static Tensor Mix(Tensor last, GeometricMixture mixture, Tensor input, Tensor mask, Tensor positions, KvCache referenceCache)
    {
        using var baseOnly = mixture.ReferenceDisablesAdapter ? mixture.Reference.Adapter?.Disable() : null;
        var hidden = mixture.Reference.Decoder.Forward(input, mask, positions, referenceCache);
        var reference = mixture.Reference.Project(hidden.select(1, hidden.shape[1] - 1));
        return (mixture.Coefficient * reference.to_type(ScalarType.Float32) + (1 - mixture.Coefficient) * last.to_type(ScalarType.Float32)).log_softmax(-1);
    }
}
