using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Tokenization.Jinja;

namespace Trl.Core.Tests.Tokenization;

/// <summary>Chat templates rendered as transformers renders them: text, ids and assistant masks of every
/// conversation in tokenizer_chatml_renderings.json; Jinja features common templates use; clear errors.</summary>
public class ChatTemplateTests
{
    [Test]
    public void ChatMlRenderingsIdsAndAssistantMasksMatchTransformers()
    {
        var tokenizer = TokenizerLoader.FromPretrained(Fixtures.Trl2("tokenizer_chatml"));
        var golden = Fixtures.Json(Fixtures.Trl2("tokenizer_chatml_renderings.json"));
        int checkedCount = 0;
        foreach (var r in golden["renderings"]!.AsArray())
        {
            var messages = r!["messages"]!.AsArray().Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
            var rendered = ChatTemplates.Apply(tokenizer, messages, r["add_generation_prompt"]?.GetValue<bool>() ?? false);
            Assert.That(rendered.Text, Is.EqualTo(r["rendered"]!.GetValue<string>()), $"rendering {checkedCount}");
            Assert.That(rendered.InputIds, Is.EqualTo(r["input_ids"]!.AsArray().Select(x => x!.GetValue<long>())), $"ids {checkedCount}");
            if (r["assistant_masks"] is JsonArray mask)
                Assert.That(rendered.AssistantMask, Is.EqualTo(mask.Select(x => x!.GetValue<int>())), $"assistant mask {checkedCount}");
            checkedCount++;
        }
        Assert.That(checkedCount, Is.GreaterThanOrEqualTo(8));
    }

    static string Render(string template, Dictionary<string, object?> vars) => new Template(template).Render(vars).Text;

    [Test]
    public void JinjaFeaturesOfCommonTemplates()
    {
        var messages = new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "system", ["content"] = " Be brief. " },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Hi" },
        };
        var vars = new Dictionary<string, object?> { ["messages"] = messages, ["bos_token"] = "<s>" };
        Assert.That(Render("{{ bos_token }}{% for m in messages %}{% if loop.first and m.role == 'system' %}[{{ m.content | trim }}]{% elif m['role'] == 'user' %}U:{{ m.content }}{% else %}?{% endif %}{% if not loop.last %}|{% endif %}{% endfor %}", vars),
            Is.EqualTo("<s>[Be brief.]|U:Hi"));
        Assert.That(Render("{%- set ns = namespace(n=0) -%}{%- for m in messages -%}{%- set ns.n = ns.n + 1 -%}{%- endfor -%}{{ ns.n }} {{ messages | length }}", vars), Is.EqualTo("2 2"));
        Assert.That(Render("{{ messages[1:] | length }} {{ messages[-1].content }} {{ 'a' if messages[0].content is string else 'b' }} {{ missing is defined }}", vars), Is.EqualTo("1 Hi a False"));
        Assert.That(Render("{{ \"x\" ~ 1 }} {{ 'ab'.upper() }} {{ {'k': [1, 2]} | tojson }} {% for x in [1, 2, 3] if x > 1 %}{{ x }}{% endfor %}", vars), Is.EqualTo("x1 AB {\"k\": [1, 2]} 23"));
        Assert.That(Render("{% for m in messages %}{{ m.content }}\n{%- endfor %}", vars), Is.EqualTo(" Be brief. Hi"), "whitespace control trims template text, not rendered values");
    }

    [Test]
    public void UnsupportedConstructsAndRaiseExceptionAreClearErrors()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => new Template("{% macro f() %}x{% endmacro %}"));
        Assert.That(ex!.Message, Does.Contain("macro"));
        ex = Assert.Throws<ChatTemplateException>(() => new Template("{{ x | wordcount }}").Render(new Dictionary<string, object?>()));
        Assert.That(ex!.Message, Does.Contain("wordcount"));
        ex = Assert.Throws<ChatTemplateException>(() => new Template("{{ raise_exception('Roles must alternate') }}").Render(new Dictionary<string, object?>()));
        Assert.That(ex!.Message, Does.Contain("Roles must alternate"));
        ex = Assert.Throws<ChatTemplateException>(() => new Template("{% if x %}open"));
        Assert.That(ex!.Message, Does.Contain("never closed"));
    }
}
