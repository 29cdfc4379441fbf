using System.Text.Json.Nodes;

namespace Trl.Data;

/// <summary>One dataset row and where it came from, so every error can name the file, row and field.</summary>
public sealed record DatasetRow(JsonObject Values, string Source, long RowNumber)
{
    /// <summary>Whether the row has a non-null column.</summary>
    public bool Has(string field) => Values[field] is not null;

    /// <summary>A required string column.</summary>
    public string GetString(string field) => Values[field] switch
    {
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        null => throw Error(field, "is missing"),
        var other => throw Error(field, $"must be a string, got {other.GetValueKind()}"),
    };

    /// <summary>A required list of chat messages ({role, content}).</summary>
    public IReadOnlyList<ChatMessage> GetMessages(string field)
    {
        if (Values[field] is not JsonArray a) throw Error(field, Values[field] is null ? "is missing" : "must be a list of {role, content} messages");
        return a.Select((m, i) => new ChatMessage(
            m?["role"]?.GetValue<string>() ?? throw Error($"{field}[{i}].role", "is missing"),
            m["content"]?.GetValue<string>() ?? throw Error($"{field}[{i}].content", "is missing"))).ToList();
    }

    /// <summary>Whether a column holds a conversation (a list of messages) rather than text.</summary>
    public bool IsConversational(string field) => Values[field] is JsonArray;

    /// <summary>An error that names this row's file, row and the field.</summary>
    public InvalidDataException Error(string field, string problem) =>
        new($"{Source}: row {RowNumber}: field '{field}' {problem}.");
}
