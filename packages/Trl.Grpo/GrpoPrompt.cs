using System.Text.Json.Nodes;
using Trl.Tokenization;

namespace Trl.Grpo;

/// <summary>One prompt of a GRPO dataset: its token ids (chat template with generation prompt applied for
/// conversations), its text or messages for the reward functions, and every other column of the row.</summary>
public sealed record GrpoPrompt(IReadOnlyList<long> PromptIds, string PromptText, JsonObject Columns)
{
    /// <summary>The prompt messages of a conversational row (null for a plain-text prompt).</summary>
    public IReadOnlyList<ChatMessage>? PromptMessages { get; init; }
}
