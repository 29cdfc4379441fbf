using System.Text.Json.Nodes;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Tokenization.Jinja;

namespace Trl.Core.Tests.Tokenization;

/// <summary>Real chat templates (Llama 2/3.x, Mistral, Gemma, Phi, Qwen2.5/3, DeepSeek-R1, SmolLM3, Granite, Command-R,
/// Hermes, Zephyr, TRL's training templates …) render exactly what transformers renders (fixtures/chat_templates:
/// jinja2 configured as transformers' render_jinja_template): the same text, the same raise_exception message, the
/// same generation spans.</summary>
public class ChatTemplateGoldenTests
{
    static string Dir => Path.Combine(Fixtures.Root, "chat_templates");

    public static IEnumerable<TestCaseData> Goldens(string file) =>
        ((JsonObject)Fixtures.Json(Path.Combine(Dir, file)))["goldens"]!.AsArray().Select(g => new TestCaseData(g!["template"]!.GetValue<string>(), g["context"]!.GetValue<string>())
            .SetName($"{Path.GetFileNameWithoutExtension(g["context"]!.GetValue<string>())}:{Path.GetFileNameWithoutExtension(g["template"]!.GetValue<string>())}"));

    public static IEnumerable<TestCaseData> MainGoldens() => Goldens("goldens.json");
    public static IEnumerable<TestCaseData> Extra() => Goldens("goldens_extra.json");

    [OneTimeSetUp]
    public void PinTheClock() => JinjaBuiltins.Now = () => new DateTime(2026, 7, 26, 12, 0, 0);

    [OneTimeTearDown]
    public void ReleaseTheClock() => JinjaBuiltins.Now = () => DateTime.Now;

    [TestCaseSource(nameof(MainGoldens))]
    public void RendersAsTransformers(string template, string context) => Check("goldens.json", template, context);

    [TestCaseSource(nameof(Extra))]
    public void ExtraTemplatesRenderAsTransformers(string template, string context) => Check("goldens_extra.json", template, context);

    static void Check(string file, string templatePath, string contextPath)
    {
        var golden = ((JsonObject)Fixtures.Json(Path.Combine(Dir, file)))["goldens"]!.AsArray()
            .First(g => g!["template"]!.GetValue<string>() == templatePath && g["context"]!.GetValue<string>() == contextPath)!;
        var context = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, contextPath)))!.AsObject();
        var options = context.Where(kv => kv.Key.StartsWith("__", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var k in options.Keys) context.Remove(k);
        var source = LoadTemplate(Path.Combine(Dir, templatePath), options.TryGetValue("__chat_template", out var n) ? n!.GetValue<string>() : null,
            context["tools"] is not null and not JsonValue);
        bool continueFinal = options.TryGetValue("__continue_final_message", out var c) && c is JsonValue cv && cv.GetValueKind() == System.Text.Json.JsonValueKind.True;

        if (golden["error"] is { } error)
        {
            var ex = Assert.Catch<ChatTemplateException>(() => ChatTemplates.Render(ChatTemplate.Parse(source), context, continueFinalMessage: continueFinal));
            if (golden["error_type"]?.GetValue<string>() == "TemplateError")
                Assert.That(ex!.Message, Is.EqualTo(error.GetValue<string>()), "raise_exception message");
            return;
        }
        var rendering = ChatTemplates.Render(ChatTemplate.Parse(source), context, continueFinalMessage: continueFinal);
        var expected = golden["rendered"]!.GetValue<string>();
        if (rendering.Text != expected)
        {
            int at = 0;
            while (at < Math.Min(expected.Length, rendering.Text.Length) && expected[at] == rendering.Text[at]) at++;
            Assert.Fail($"first difference at {at}:\n--- expected ---\n{Excerpt(expected, at)}\n--- got ---\n{Excerpt(rendering.Text, at)}");
        }
        if (golden["generation_spans"] is JsonArray spans)
        {
            var codePoints = CodePointOffsets(rendering.Text);
            var expectedSpans = spans.Select(s => (codePoints[s![0]!.GetValue<int>()], codePoints[s[1]!.GetValue<int>()])).ToList();
            Assert.That(rendering.GenerationSpans, Is.EqualTo(expectedSpans), "generation spans");
        }
    }

    static string Excerpt(string s, int at) => s[Math.Max(0, at - 80)..Math.Min(s.Length, at + 80)];

    /// <summary>UTF-16 offset of each Python code-point offset (the goldens count code points).</summary>
    static int[] CodePointOffsets(string s)
    {
        var map = new List<int>();
        for (int i = 0; i < s.Length; i++)
        {
            map.Add(i);
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        }
        map.Add(s.Length);
        return map.ToArray();
    }

    static string LoadTemplate(string path, string? name, bool tools)
    {
        if (!path.EndsWith(".json", StringComparison.Ordinal)) return File.ReadAllText(path);
        var list = JsonNode.Parse(File.ReadAllText(path))!["chat_template"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["template"]!.GetValue<string>());
        return name is not null && list.TryGetValue(name, out var t) ? t : tools && list.TryGetValue("tool_use", out var tu) ? tu : list["default"];
    }
}
