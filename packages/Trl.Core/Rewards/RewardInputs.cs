using System.Text.Json.Nodes;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Rewards;

/// <summary>What a reward function sees, one entry per completion (a prompt's G completions are adjacent):
/// the prompt text, the decoded completion, its token ids, and the dataset row's other columns (TRL's **kwargs).</summary>
public sealed record RewardInputs(
    IReadOnlyList<string> Prompts,
    IReadOnlyList<string> Completions,
    IReadOnlyList<IReadOnlyList<long>> CompletionIds,
    IReadOnlyList<JsonObject> Columns,
    TrainerState State)
{
    /// <summary>The prompt messages of conversational rows (null entries for plain-text prompts).</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>?> PromptMessages { get; init; } = Array.Empty<IReadOnlyList<ChatMessage>?>();

    /// <summary>Number of completions.</summary>
    public int Count => Completions.Count;

    /// <summary>A string column's value for completion <paramref name="index"/>, or null if absent.</summary>
    public string? Column(string name, int index) =>
        Columns[index][name] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : Columns[index][name]?.ToJsonString();
}
