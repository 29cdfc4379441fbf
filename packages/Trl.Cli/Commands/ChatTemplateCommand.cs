using System.Text.Json;
using System.Text.Json.Nodes;
using Trl.Cli.Arguments;
using Trl.Tokenization;

namespace Trl.Cli.Commands;

/// <summary><c>trl chat-template</c>: shows exactly what a model is trained on. Renders a CONTEXT.json (messages and
/// any other template variables) with a template file, a tokenizer folder or a model folder, and prints the text with
/// nothing added; with <c>--tokenize true</c> prints one JSON object with the text, input_ids and assistant_masks.</summary>
internal static class ChatTemplateCommand
{
    public const string Help =
        "usage: trl chat-template (--chat_template_path FILE.jinja|DIR|tokenizer_config.json | --model_name_or_path DIR) --context CONTEXT.json\n" +
        "                         [--tokenize true] [--continue_final_message true] [--chat_template_name NAME]\n" +
        "CONTEXT.json: {\"messages\": [...], \"add_generation_prompt\": true, \"tools\": [...], \"enable_thinking\": false, ...}.\n" +
        "Special tokens come from the model folder's tokenizer; values in the context win. --tokenize needs a tokenizer\n" +
        "(--model_name_or_path, or a --chat_template_path folder holding tokenizer.json).";

    public static int Run(CliArguments args, TextWriter output)
    {
        if (args.Has("help")) { output.WriteLine(Help); return ExitCodes.Success; }
        var templatePath = args.Take("chat_template_path");
        var modelPath = args.Take("model_name_or_path") is { } m ? ModelFolders.Local(m, args.Take("model_revision")) : null;
        var contextPath = args.Take("context") ?? throw new CliException("--context CONTEXT.json is required.");
        bool tokenize = Bool(args.Take("tokenize"), "tokenize");
        bool? continueFinal = args.Take("continue_final_message") is { } cf ? Bool(cf, "continue_final_message") : null;
        var templateName = args.Take("chat_template_name");
        ConfigBinder.RejectUnknown(args, "chat-template");
        if (templatePath is null && modelPath is null) throw new CliException("give --chat_template_path or --model_name_or_path.");

        var context = ReadContext(contextPath);
        if (context.Remove("continue_final_message", out var cfNode) && continueFinal is null)
            continueFinal = cfNode is JsonValue v && v.TryGetValue<bool>(out var b) ? b
                : throw new InvalidDataException($"{contextPath}: field 'continue_final_message' must be true or false.");

        var tokenizerDir = modelPath ?? (Directory.Exists(templatePath) && File.Exists(Path.Combine(templatePath, "tokenizer.json")) ? templatePath : null);
        ITextTokenizer? tokenizer = tokenizerDir is not null ? TokenizerLoader.FromPretrained(tokenizerDir) : null;
        if (tokenize && tokenizer is null)
            throw new CliException("--tokenize needs a tokenizer: give --model_name_or_path DIR (or a --chat_template_path folder with tokenizer.json).");

        var source = TemplateSource(templatePath ?? modelPath!, templateName, context["tools"] is JsonArray);
        ChatTemplate template;
        try { template = ChatTemplate.Parse(source); }
        catch (ChatTemplateException e) { throw new InvalidDataException($"{templatePath ?? modelPath}: the chat template does not parse: {e.Message}", e); }
        ChatTemplateRendering rendering;
        try { rendering = ChatTemplates.Render(template, context, tokenizer?.Special, continueFinal ?? false); }
        catch (ChatTemplateException e) { throw new InvalidDataException($"{contextPath}: the chat template raised: {e.Message}", e); }

        if (!tokenize) { output.Write(rendering.Text); return ExitCodes.Success; }
        var tokens = ChatTemplates.Tokenize(tokenizer!, rendering, template.HasGenerationBlocks);
        output.WriteLine(new JsonObject
        {
            ["text"] = tokens.Text,
            ["input_ids"] = new JsonArray(tokens.InputIds.Select(x => (JsonNode)x).ToArray()),
            ["assistant_masks"] = new JsonArray(tokens.AssistantMask.Select(x => (JsonNode)x).ToArray()),
        }.ToJsonString());
        return ExitCodes.Success;
    }

    static bool Bool(string? value, string field) => value switch
    {
        null => false,
        "true" or "True" => true,
        "false" or "False" => false,
        _ => throw new CliException($"--{field} must be true or false, got '{value}'."),
    };

    static JsonObject ReadContext(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e); }
        if (node is not JsonObject context) throw new InvalidDataException($"{path}: must be a JSON object with a 'messages' list.");
        if (context["messages"] is not JsonArray messages) throw new InvalidDataException($"{path}: field 'messages' must be a list of messages.");
        for (int i = 0; i < messages.Count; i++)
            if (messages[i] is not JsonObject m || m["role"] is not JsonValue)
                throw new InvalidDataException($"{path}: messages[{i}] must be an object with a 'role'.");
        return context;
    }

    /// <summary>A .jinja file is the template itself; a folder is a tokenizer folder (tokenizer_config.json,
    /// chat_template.jinja, additional_chat_templates/), as TRL's chat_template_path reads it; a .json file is a
    /// tokenizer_config.json.</summary>
    static string TemplateSource(string path, string? name, bool withTools)
    {
        if (File.Exists(path) && !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (name is not null) throw new CliException("--chat_template_name needs a tokenizer folder or tokenizer_config.json; a template file holds one template.");
            return File.ReadAllText(path);
        }
        var set = TokenizerLoader.LoadChatTemplates(path);
        return set.Find(name, withTools) ?? throw new InvalidDataException(name is null
            ? $"{path}: no chat template (tokenizer_config.json chat_template or chat_template.jinja)."
            : $"{path}: no chat template named '{name}' (it has: {string.Join(", ", set.Named.Keys.Prepend("default"))}).");
    }
}
