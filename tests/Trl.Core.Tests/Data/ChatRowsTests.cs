using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Tokenization;

namespace Trl.Core.Tests.Data;

/// <summary>A row's tools and chat_template_kwargs reach the chat template as TRL passes them
/// (tools as a list or a JSON string, empty tools as none), and malformed ones name the row and field.</summary>
public class ChatRowsTests
{
    const string Template = "{% if tools %}T{{ tools | length }}:{{ tools[0].name }}|{% endif %}{% if enable_thinking is defined %}think={{ enable_thinking }}|{% endif %}{{ messages[0].content }}";

    static string Render(JsonObject values)
    {
        var row = new DatasetRow(values, "train.jsonl", 7);
        var options = ChatRows.OptionsOf(row);
        var context = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }) };
        if (options.Tools is not null) context["tools"] = options.Tools.DeepClone();
        if (options.Variables is not null) foreach (var (k, v) in options.Variables) context[k] = v?.DeepClone();
        return ChatTemplates.Render(ChatTemplate.Parse(Template), context).Text;
    }

    [Test]
    public void ToolsAndTemplateKwargsOfARowReachTheTemplate()
    {
        Assert.That(Render(new JsonObject()), Is.EqualTo("hi"));
        Assert.That(Render(new JsonObject { ["tools"] = new JsonArray(new JsonObject { ["name"] = "get_weather" }) }), Is.EqualTo("T1:get_weather|hi"));
        Assert.That(Render(new JsonObject { ["tools"] = "[{\"name\": \"search\"}]" }), Is.EqualTo("T1:search|hi"), "tools stored as a JSON string");
        Assert.That(Render(new JsonObject { ["tools"] = new JsonArray() }), Is.EqualTo("hi"), "empty tools are none");
        Assert.That(Render(new JsonObject { ["chat_template_kwargs"] = new JsonObject { ["enable_thinking"] = false } }), Is.EqualTo("think=False|hi"));
    }

    [Test]
    public void MalformedToolsOrKwargsNameTheRowAndField()
    {
        var e = Assert.Throws<InvalidDataException>(() => ChatRows.OptionsOf(new DatasetRow(new JsonObject { ["tools"] = "[{" }, "train.jsonl", 7)));
        Assert.That(e!.Message, Does.Contain("train.jsonl").And.Contain("7").And.Contain("tools"));
        e = Assert.Throws<InvalidDataException>(() => ChatRows.OptionsOf(new DatasetRow(new JsonObject { ["chat_template_kwargs"] = 3 }, "train.jsonl", 7)));
        Assert.That(e!.Message, Does.Contain("chat_template_kwargs"));
    }
}
