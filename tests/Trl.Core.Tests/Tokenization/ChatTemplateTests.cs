using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Testing;
using Trl.Tokenization;

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

    static string Render(string template, JsonObject vars) => ChatTemplate.Parse(template).Render(vars).Text;

    static JsonObject Vars() => new()
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = " Be brief. " }, new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        ["bos_token"] = "<s>",
    };

    [Test]
    public void JinjaFeaturesOfCommonTemplates()
    {
        var vars = Vars();
        Assert.That(Render("{{ bos_token }}{% for m in messages %}{% if loop.first and m.role == 'system' %}[{{ m.content | trim }}]{% elif m['role'] == 'user' %}U:{{ m.content }}{% else %}?{% endif %}{% if not loop.last %}|{% endif %}{% endfor %}", vars),
            Is.EqualTo("<s>[Be brief.]|U:Hi"));
        Assert.That(Render("{%- set ns = namespace(n=0) -%}{%- for m in messages -%}{%- set ns.n = ns.n + 1 -%}{%- endfor -%}{{ ns.n }} {{ messages | length }}", vars), Is.EqualTo("2 2"));
        Assert.That(Render("{{ messages[1:] | length }} {{ messages[-1].content }} {{ 'a' if messages[0].content is string else 'b' }} {{ missing is defined }}", vars), Is.EqualTo("1 Hi a False"));
        Assert.That(Render("{{ \"x\" ~ 1 }} {{ 'ab'.upper() }} {{ {'k': [1, 2]} | tojson }} {% for x in [1, 2, 3] if x > 1 %}{{ x }}{% endfor %}", vars), Is.EqualTo("x1 AB {\"k\": [1, 2]} 23"));
        Assert.That(Render("{% for m in messages %}{{ m.content }}\n{%- endfor %}", vars), Is.EqualTo(" Be brief. Hi"), "whitespace control trims template text, not rendered values");
        Assert.That(Render("{% macro f(x, y='d') %}<{{ x }}{{ y }}>{% endmacro %}{{ f(1) }}{{ f(2, y='e') }}", vars), Is.EqualTo("<1d><2e>"));
        Assert.That(Render("{% for x in 'abc' %}{% if x == 'b' %}{% continue %}{% endif %}{{ x }}{% endfor %}|{% for x in [1,2,3] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}", vars), Is.EqualTo("ac|1"));
        Assert.That(Render("{% for m in messages %}{{ loop.previtem is defined }}{{ loop.nextitem.role if loop.nextitem is defined }};{% endfor %}", vars), Is.EqualTo("Falseuser;True;"));
        Assert.That(Render("{{ 'a,b'.split(',') }} {{ [1, 'x', none, true] }} {{ 1.0 }} {{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 'abc'[::-1] }}", vars), Is.EqualTo("['a', 'b'] [1, 'x', None, True] 1.0 3 3.5 2 cba"));
    }

    [Test]
    public void TrimBlocksAndLstripBlocksApplyToBlockTagsOnly()
    {
        var vars = Vars();
        // Zephyr-style: one tag per line renders without the template's newlines and indentation.
        Assert.That(Render("{% for m in messages %}\n    {% if m.role == 'user' %}\n<|user|>\n{{ m.content }}\n    {% endif %}\n{% endfor %}", vars), Is.EqualTo("<|user|>\nHi\n"));
        Assert.That(Render("  {{ bos_token }}\n{# c #}\nx", vars), Is.EqualTo("  <s>\nx"));
    }

    [Test]
    public void UnsupportedConstructsAndRaiseExceptionAreClearErrors()
    {
        var empty = new JsonObject();
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% include 'x.jinja' %}"));
        Assert.That(ex!.Message, Does.Contain("include"));
        ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ x | nosuchfilter }}").Render(empty));
        Assert.That(ex!.Message, Does.Contain("nosuchfilter"));
        ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ raise_exception('Roles must alternate') }}").Render(empty));
        Assert.That(ex!.Message, Is.EqualTo("Roles must alternate"));
        ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% if x %}open"));
        Assert.That(ex!.Message, Does.Contain("never closed"));
        ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ [].append(1) }}").Render(empty));
        Assert.That(ex!.Message, Does.Contain("unsafe"));
    }

    [Test]
    public void HostileTemplatesFailInBoundedTimeAndMemory()
    {
        var empty = new JsonObject();
        var loop = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}").Render(empty));
        Assert.That(loop!.Message, Does.Contain("steps"));
        var recursion = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").Render(empty));
        Assert.That(recursion!.Message, Does.Contain("recursed"));
        var nesting = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}"));
        Assert.That(nesting!.Message, Does.Contain("nests"));
        var output = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% set s = 'x' * 1000000 %}{% for i in range(100000) %}{{ s }}{% endfor %}").Render(empty));
        Assert.That(output!.Message, Does.Contain("characters"));
    }
}
