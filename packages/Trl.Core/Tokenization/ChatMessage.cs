using System.Text.Json.Nodes;

namespace Trl.Tokenization;

/// <summary>One message of a conversation as chat templates see it: a role, its content (text, or null for a tool
/// call) and any other fields the dataset carries (tool_calls, reasoning_content, name, tool_call_id, content parts…).</summary>
public sealed record ChatMessage(string Role, string? Content)
{
    /// <summary>The whole message as JSON when it has more than role and text content (null otherwise).</summary>
    public JsonObject? Json { get; init; }

    /// <summary>A message from its JSON object (role, content and every other field).</summary>
    public static ChatMessage FromJson(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string role = message["role"]?.GetValue<string>() ?? throw new ArgumentException("A chat message needs a role.", nameof(message));
        var content = message["content"] is JsonValue v ? v.GetValue<string>() : null;
        bool plain = message.Count <= 2 && content is not null;
        return new ChatMessage(role, content) { Json = plain ? null : (JsonObject)message.DeepClone() };
    }

    /// <summary>The message as the template's <c>message</c> object: the JSON fields, with role and content.</summary>
    public JsonObject ToJson()
    {
        var o = Json is null ? new JsonObject() : (JsonObject)Json.DeepClone();
        o["role"] = Role;
        if (Json is null || !Json.ContainsKey("content")) o["content"] = Content;
        return o;
    }
}
