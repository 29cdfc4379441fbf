using System.Text.Json.Nodes;
using Trl.Tokenization;

namespace Trl.Data;

/// <summary>One dataset row and where it came from, so every error can name the file, row and field.</summary>
public sealed record DatasetRow(JsonObject Values, string Source, long RowNumber)
{
    /// <summary>Why the row could not be read (e.g. a line that is not JSON); null for a readable row. Readers hand
    /// such rows on instead of failing, so a skip policy can count them like any other bad row.</summary>
    public string? ReadError { get; init; }

    /// <summary>Throws the data error of an unreadable row.</summary>
    public void ThrowIfUnreadable()
    {
        if (ReadError is not null) throw new InvalidDataException($"{Source}: row {RowNumber}: {ReadError}.");
    }

    /// <summary>Whether the row has a non-null column.</summary>
    public bool Has(string field) => Values[field] is not null;

    /// <summary>A required string column.</summary>
    public string GetString(string field) => Values[field] switch
    {
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        null => throw Error(field, "is missing"),
        var other => throw Error(field, $"must be a string, got {other.GetValueKind()}"),
    };

    /// <summary>An optional number column (null when absent or null).</summary>
    public double? GetOptionalNumber(string field) => Values[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => v.GetValue<double>(),
        var other => throw Error(field, $"must be a number, got {other.GetValueKind()}"),
    };

    /// <summary>A required boolean column.</summary>
    public bool GetBool(string field) => Values[field] switch
    {
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.False => false,
        null => throw Error(field, "is missing"),
        var other => throw Error(field, $"must be true or false, got {other.GetValueKind()}"),
    };

    /// <summary>A required list column.</summary>
    public JsonArray GetList(string field) => Values[field] switch
    {
        JsonArray a => a,
        null => throw Error(field, "is missing"),
        var other => throw Error(field, $"must be a list, got {other.GetValueKind()}"),
    };

    /// <summary>A required list of chat messages ({role, content, …}); every other key of a message (tool_calls,
    /// reasoning_content, name …) travels along to the chat template.</summary>
    public IReadOnlyList<ChatMessage> GetMessages(string field)
    {
        var list = Values[field] switch
        {
            JsonArray a => a,
            null => throw Error(field, "is missing"),
            var other => throw Error(field, $"must be a list of {{role, content}} messages, got {other.GetValueKind()}"),
        };
        var messages = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m) throw Error($"{field}[{i}]", $"must be a {{role, content}} message, got {list[i]?.GetValueKind().ToString() ?? "null"}");
            string role = m["role"] is JsonValue r && r.GetValueKind() == System.Text.Json.JsonValueKind.String ? r.GetValue<string>()
                : throw Error($"{field}[{i}].role", m["role"] is null ? "is missing" : $"must be a string, got {m["role"]!.GetValueKind()}");
            var content = m["content"];
            if (content is not null && content.GetValueKind() is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Array))
                throw Error($"{field}[{i}].content", $"must be a string or a list of parts, got {content.GetValueKind()}");
            if (content is null && m["tool_calls"] is null) throw Error($"{field}[{i}].content", "is missing");
            messages.Add(ChatMessage.FromJson(m));
        }
        return messages;
    }

    /// <summary>Whether a column holds a conversation (a list of messages) rather than text.</summary>
    public bool IsConversational(string field) => Values[field] is JsonArray;

    /// <summary>An error that names this row's file, row and the field.</summary>
    public InvalidDataException Error(string field, string problem) =>
        new($"{Source}: row {RowNumber}: field '{field}' {problem}.");
}
