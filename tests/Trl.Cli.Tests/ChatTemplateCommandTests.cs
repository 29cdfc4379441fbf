using System.Text.Json.Nodes;
using Trl.Testing;

namespace Trl.Cli.Tests;

/// <summary><c>trl chat-template</c> prints exactly what jinja2 (transformers' settings) renders for the golden
/// contexts, reads tokenizer folders and model folders, tokenizes with the assistant mask as transformers does, and
/// turns a template's raise_exception into a data error (exit 3) carrying the template's message.</summary>
public class ChatTemplateCommandTests
{
    static string ChatTemplates(string file) => Path.Combine(Fixtures.Root, "chat_templates", file);

    [Test]
    public void RendersEveryGoldenContextAsJinja2Does()
    {
        var golden = Fixtures.Json(ChatTemplates("goldens.json"));
        int rendered = 0, errors = 0;
        foreach (var caseNode in golden["goldens"]!.AsArray())
        {
            var template = ChatTemplates(caseNode!["template"]!.GetValue<string>());
            if (File.ReadAllText(template).Contains("strftime_now", StringComparison.Ordinal)) continue; // goldens pin the clock
            var (code, output, error) = CliRunner.Run(Arguments(template, ChatTemplates(caseNode["context"]!.GetValue<string>())));
            if (caseNode["error"] is JsonValue message)
            {
                Assert.That(code, Is.EqualTo(3), $"{template}: {error}");
                Assert.That(error, Does.Contain(message.GetValue<string>()).And.Contain("the chat template raised"));
                Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one-line error");
                errors++;
            }
            else
            {
                Assert.That(code, Is.EqualTo(0), error);
                Assert.That(output, Is.EqualTo(caseNode["rendered"]!.GetValue<string>()), $"{template} with {caseNode["context"]}");
                rendered++;
            }
        }
        Assert.That(rendered, Is.GreaterThanOrEqualTo(100));
        Assert.That(errors, Is.GreaterThanOrEqualTo(3));
    }

    /// <summary>The golden contexts carry render.py's options as "__" keys; the command takes them as flags.</summary>
    static string[] Arguments(string template, string contextPath)
    {
        var context = Fixtures.Json(contextPath).AsObject();
        var args = new List<string> { "chat-template", "--chat_template_path", template };
        if (context["__chat_template"] is JsonValue name) args.AddRange(["--chat_template_name", name.GetValue<string>()]);
        if (context["__continue_final_message"] is JsonValue cf) args.AddRange(["--continue_final_message", cf.GetValue<bool>() ? "true" : "false"]);
        foreach (var key in context.Select(kv => kv.Key).Where(k => k.StartsWith("__", StringComparison.Ordinal)).ToList()) context.Remove(key);
        var path = Path.Combine(CliRunner.TempDir(), Path.GetFileName(contextPath));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, context.ToJsonString());
        return [.. args, "--context", path];
    }

    [Test]
    public void ModelFolderGivesTheTemplateSpecialTokensAndTokenization()
    {
        var dir = Fixtures.Trl2("tokenizer_chatml");
        var golden = Fixtures.Json(Fixtures.Trl2("tokenizer_chatml_renderings.json"))["renderings"]!.AsArray()
            .First(r => r!["assistant_masks"] is JsonArray && r["add_generation_prompt"]?.GetValue<bool>() != true)!;
        var context = Path.Combine(CliRunner.TempDir(), "context.json");
        Directory.CreateDirectory(Path.GetDirectoryName(context)!);
        File.WriteAllText(context, new JsonObject { ["messages"] = golden["messages"]!.DeepClone() }.ToJsonString());

        var (code, output, error) = CliRunner.Run("chat-template", "--model_name_or_path", dir, "--context", context);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Is.EqualTo(golden["rendered"]!.GetValue<string>()));

        (code, output, error) = CliRunner.Run("chat-template", "--model_name_or_path", dir, "--context", context, "--tokenize", "true");
        Assert.That(code, Is.EqualTo(0), error);
        var json = JsonNode.Parse(output)!;
        Assert.That(json["input_ids"]!.AsArray().Select(x => x!.GetValue<long>()), Is.EqualTo(golden["input_ids"]!.AsArray().Select(x => x!.GetValue<long>())));
        Assert.That(json["assistant_masks"]!.AsArray().Select(x => x!.GetValue<int>()), Is.EqualTo(golden["assistant_masks"]!.AsArray().Select(x => x!.GetValue<int>())));
    }

    [Test]
    public void ContextValuesWinOverTheTokenizersSpecialTokens()
    {
        var root = CliRunner.TempDir();
        Directory.CreateDirectory(root);
        var template = Path.Combine(root, "t.jinja");
        File.WriteAllText(template, "{{ bos_token }}|{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}");
        var context = Path.Combine(root, "c.json");
        File.WriteAllText(context, """{"messages": [{"role": "user", "content": "hi"}], "bos_token": "[B]", "add_generation_prompt": true}""");
        var (code, output, error) = CliRunner.Run("chat-template", "--chat_template_path", template, "--context", context);
        Assert.That((code, output), Is.EqualTo((0, "[B]|hi>")), error);

        File.WriteAllText(context, """{"messages": [{"role": "assistant", "content": "partial"}]}""");
        File.WriteAllText(template, "{% for m in messages %}<{{ m.content }}>{% endfor %}");
        (code, output, error) = CliRunner.Run("chat-template", "--chat_template_path", template, "--context", context, "--continue_final_message", "true");
        Assert.That((code, output), Is.EqualTo((0, "<partial")), error);
    }

    [Test]
    public void BadInputIsAOneLineErrorNamingTheFileAndField()
    {
        var root = CliRunner.TempDir();
        Directory.CreateDirectory(root);
        var template = Path.Combine(root, "t.jinja");
        File.WriteAllText(template, "{% for m in messages %}{{ m.content }}");
        var context = Path.Combine(root, "c.json");
        File.WriteAllText(context, """{"messages": [{"role": "user", "content": "hi"}]}""");
        var (code, _, error) = CliRunner.Run("chat-template", "--chat_template_path", template, "--context", context);
        Assert.That(code, Is.EqualTo(3));
        Assert.That(error, Does.Contain("t.jinja").And.Contain("does not parse"));

        File.WriteAllText(context, """{"messages": {"role": "user"}}""");
        (code, _, error) = CliRunner.Run("chat-template", "--chat_template_path", template, "--context", context);
        Assert.That(code, Is.EqualTo(3));
        Assert.That(error, Does.Contain("c.json").And.Contain("'messages'"));

        (code, _, error) = CliRunner.Run("chat-template", "--chat_template_path", template, "--context", Path.Combine(root, "none.json"));
        Assert.That(code, Is.EqualTo(4), error);
        File.WriteAllText(context, """{"messages": [{"role": "user", "content": "hi"}]}""");
        File.WriteAllText(template, "{{ messages[0].content }}");
        (code, _, error) = CliRunner.Run("chat-template", "--chat_template_path", template, "--context", context, "--tokenize", "true");
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("--tokenize needs a tokenizer"));
    }
}
