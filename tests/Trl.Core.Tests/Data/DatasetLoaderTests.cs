using System.Text.Json.Serialization;
using Parquet.Serialization;
using Trl.Data;

namespace Trl.Core.Tests.Data;

/// <summary>HF-layout datasets from JSONL, JSON (rows or columns), Parquet (with nested message lists) and
/// split-named folders; bad rows are errors naming file, row and field, or are skipped and counted.</summary>
public class DatasetLoaderTests
{
    static string Temp()
    {
        var d = Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    public sealed class Message
    {
        [JsonPropertyName("role")] public string Role { get; set; } = "";
        [JsonPropertyName("content")] public string Content { get; set; } = "";
    }

    public sealed class ChatRow
    {
        [JsonPropertyName("prompt")] public string Prompt { get; set; } = "";
        [JsonPropertyName("score")] public double Score { get; set; }
        [JsonPropertyName("messages")] public List<Message> Messages { get; set; } = new();
    }

    [Test]
    public async Task ParquetRowsKeepStringsNumbersAndNestedMessages()
    {
        var dir = Temp();
        var rows = Enumerable.Range(0, 5).Select(i => new ChatRow
        {
            Prompt = $"p{i}", Score = i / 2.0,
            Messages = new() { new() { Role = "user", Content = $"hi {i}" }, new() { Role = "assistant", Content = "hello" } },
        }).ToList();
        await ParquetSerializer.SerializeAsync(rows, Path.Combine(dir, "train-00000-of-00001.parquet"));
        var read = DatasetLoader.Read(dir).ToList();
        Assert.That(read, Has.Count.EqualTo(5));
        Assert.That(read[3].GetString("prompt"), Is.EqualTo("p3"));
        Assert.That(read[3].Values["score"]!.GetValue<double>(), Is.EqualTo(1.5));
        var messages = read[3].GetMessages("messages");
        Assert.That(messages.Select(m => (m.Role, m.Content)), Is.EqualTo(new[] { ("user", "hi 3"), ("assistant", "hello") }));
        Assert.That(read[3].RowNumber, Is.EqualTo(4));
    }

    [Test]
    public void FoldersAreSplitByFileNameAndJsonColumnsWork()
    {
        var dir = Temp();
        File.WriteAllText(Path.Combine(dir, "train.jsonl"), "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n");
        File.WriteAllText(Path.Combine(dir, "test.json"), "{\"text\":[\"c\",\"d\",\"e\"]}");
        Assert.That(DatasetLoader.Read(dir).Select(r => r.GetString("text")), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(DatasetLoader.Read(dir, "test").Select(r => r.GetString("text")), Is.EqualTo(new[] { "c", "d", "e" }));
        var ex = Assert.Throws<FileNotFoundException>(() => DatasetLoader.Read(dir, "validation").ToList());
        Assert.That(ex!.Message, Does.Contain("validation"));
    }

    [Test]
    public void BadRowsAndUnparsableLinesAreNamedOrSkippedAndCounted()
    {
        var dir = Temp();
        var file = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(file, "{\"text\":\"a\"}\n{\"text\":7}\n{\"other\":1}\nnot json\n[1,2]\n{\"text\":\"b\"}\n");
        var preparer = new TextPreparer();
        var ex = Assert.Throws<InvalidDataException>(() => preparer.Prepare(DatasetLoader.Read(file)));
        Assert.That(ex!.Message, Does.Contain(file).And.Contain("row 2").And.Contain("'text'").And.Contain("string"));
        var prepared = preparer.Prepare(DatasetLoader.Read(file), BadRowPolicy.Skip);
        Assert.That(prepared.Examples, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(prepared.SkippedRows, Is.EqualTo(4));
        Assert.That(prepared.SkipReasons[2], Does.Contain("row 4").And.Contain("not valid JSON"));
        Assert.That(prepared.SkipReasons[3], Does.Contain("row 5").And.Contain("JSON object"));
    }

    /// <summary>The smallest preparer: the text column of each row.</summary>
    sealed class TextPreparer : DatasetPreparer<string>
    {
        protected override IEnumerable<string> PrepareRow(DatasetRow row) => new[] { row.GetString("text") };
    }
}
