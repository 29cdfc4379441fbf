
using Trl.Kernels;
using Trl.Modeling;
using Trl.Tokenization;
using static TorchSharp.torch;

namespace Trl.Rewards;

/// <summary>A reward model as a GRPO reward (what TRL does with a model id in reward_funcs): the prompt and
/// completion — chat-templated for conversations, concatenated otherwise — are tokenized without special tokens,
/// right-padded, and the score head's first logit at the last non-pad token is the reward.</summary>
public sealed class RewardModelFunction(SequenceClassifier model, ITextTokenizer tokenizer, string name, int batchSize = 8) : IRewardFunction
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The reward model.</summary>
    public SequenceClassifier Model => model;

    /// <summary>Loads a reward model folder (config.json, safetensors with a score head, tokenizer files).</summary>
    public static RewardModelFunction FromPretrained(string directory)
    {
        var model = SequenceClassifier.FromPretrained(directory);
        model.Freeze();
        return new RewardModelFunction(model, TokenizerLoader.FromPretrained(directory), Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)));
    }

    /// <inheritdoc />
    public IReadOnlyList<double?> Score(RewardInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long pad = tokenizer.Special.PadTokenId ?? tokenizer.Special.EosTokenId ?? 0;
        var texts = Enumerable.Range(0, inputs.Count).Select(i => Tokenize(inputs, i)).ToList();
        var scores = new List<double?>(inputs.Count);
        var device = model.Device;
        using var evaluationMode = model.EvaluationMode();
        using var noGrad = no_grad();
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = texts.Skip(start).Take(batchSize).ToList();
            var ids = SequencePadding.PadIds(chunk, pad).to(device);
            var mask = SequencePadding.AttentionMask(chunk).to(device);
            var logits = model.Forward(ids, mask, pad);
            var first = logits.select(-1, 0).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            scores.AddRange(first.Select(v => (double?)v));
        }
        return scores;
    }

    IReadOnlyList<long> Tokenize(RewardInputs inputs, int i)
    {
        var messages = inputs.PromptMessages.Count > i ? inputs.PromptMessages[i] : null;
        if (messages is not null)
        {
            var conversation = messages.Append(new ChatMessage("assistant", inputs.Completions[i])).ToList();
            return ChatTemplates.Apply(tokenizer, conversation).InputIds;
        }
        return tokenizer.Encode(inputs.Prompts[i] + inputs.Completions[i]);
    }
}
