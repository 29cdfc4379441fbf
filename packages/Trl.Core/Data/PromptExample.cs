using System.Text.Json.Nodes;
using Trl.Tokenization;

namespace Trl.Data;

/// <summary>One prompt of an online trainer's dataset (GRPO, RLOO, Online DPO …): its token ids (chat template with generation prompt applied for
/// conversations), its text or messages for the reward functions, and every other column of the row.</summary>
public sealed record PromptExample(IReadOnlyList<long> PromptIds, string PromptText, JsonObject Columns)
{
    /// <summary>The prompt messages of a conversational row (null for a plain-text prompt).</summary>
    public IReadOnlyList<ChatMessage>? PromptMessages { get; init; }
}
