using System.Text.Json.Nodes;
using Trl.Data;

namespace Trl.Tokenization;

/// <summary>Loads a Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json), and saves it again next
/// to a trained model so that the output folder is a complete HF model folder.</summary>
public static class TokenizerLoader
{
    // The folder each loaded tokenizer came from: saving writes its files back out (a tokenizer is immutable).
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ITextTokenizer, string> Sources = new();

    /// <summary>Writes the tokenizer's files into <paramref name="directory"/> as transformers' save_pretrained does:
    /// tokenizer.json, tokenizer_config.json (with the special tokens and the chat template), special_tokens_map.json,
    /// and chat_template.jinja / additional_chat_templates when the source had them. The tokenizer must have been
    /// loaded with <see cref="FromPretrained"/> (a tokenizer built in code has no tokenizer.json to write).</summary>
    public static void SavePretrained(ITextTokenizer tokenizer, string directory)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(directory);
        if (!Sources.TryGetValue(tokenizer, out var source))
            throw new NotSupportedException("this tokenizer was not loaded from a tokenizer folder (TokenizerLoader.FromPretrained), so there is no tokenizer.json to save; copy its files to the model folder yourself.");
        Directory.CreateDirectory(directory);
        if (Path.GetFullPath(source) == Path.GetFullPath(directory)) return;
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(directory, "tokenizer.json"), overwrite: true);
        var configPath = Path.Combine(source, "tokenizer_config.json");
        var config = File.Exists(configPath) ? FileFormat.ReadJsonObject(configPath, FileFormat.MaxConfigBytes) : new JsonObject();
        var special = tokenizer.Special;
        var map = new JsonObject();
        foreach (var (key, value) in new[] { ("bos_token", special.BosToken), ("eos_token", special.EosToken), ("pad_token", special.PadToken), ("unk_token", special.UnkToken) })
        {
            if (value is null) continue;
            if (config[key] is null) config[key] = value;
            map[key] = value;
        }
        bool templateFile = File.Exists(Path.Combine(source, "chat_template.jinja"));
        if (tokenizer.ChatTemplate is { } template && !templateFile && config["chat_template"] is null) config["chat_template"] = template;
        if (config["tokenizer_class"] is null) config["tokenizer_class"] = "PreTrainedTokenizerFast";
        WriteJson(Path.Combine(directory, "tokenizer_config.json"), config);
        WriteJson(Path.Combine(directory, "special_tokens_map.json"), map);
        if (templateFile) File.Copy(Path.Combine(source, "chat_template.jinja"), Path.Combine(directory, "chat_template.jinja"), overwrite: true);
        var extra = Path.Combine(source, "additional_chat_templates");
        if (Directory.Exists(extra))
        {
            Directory.CreateDirectory(Path.Combine(directory, "additional_chat_templates"));
            foreach (var f in Directory.GetFiles(extra, "*.jinja")) File.Copy(f, Path.Combine(directory, "additional_chat_templates", Path.GetFileName(f)), overwrite: true);
        }
    }

    static void WriteJson(string path, JsonObject json)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Loads the tokenizer in <paramref name="directory"/>: byte-level BPE (GPT-2, Qwen, Llama 3, SmolLM …)
    /// through Microsoft.ML.Tokenizers, SentencePiece-style BPE (Llama 2, Mistral: "▁" and byte fallback), or WordLevel. Other tokenizer.json models fail with an error that names the
    /// model type and the file.</summary>
    public static ITextTokenizer FromPretrained(string directory)
    {
        var tokenizerPath = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"{directory}: no tokenizer.json.", tokenizerPath);
        var tok = FileFormat.ReadJsonObject(tokenizerPath, FileFormat.MaxTokenizerBytes);
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        var config = File.Exists(configPath) ? FileFormat.ReadJsonObject(configPath, FileFormat.MaxConfigBytes) : new JsonObject();
        // A list where an object belongs, a number where a string belongs …: a data error naming the file.
        var tokenizer = FileFormat.Read(tokenizerPath, () => Build(directory, tokenizerPath, tok, configPath, config));
        Sources.AddOrUpdate(tokenizer, directory);
        return tokenizer;
    }

    static ITextTokenizer Build(string directory, string tokenizerPath, JsonObject tok, string configPath, JsonObject config)
    {
        var (chatTemplate, named) = FileFormat.Read(configPath, () => ChatTemplatesOf(directory, config, configPath));

        var added = (tok["added_tokens"]?.AsArray() ?? new JsonArray())
            .Select(a => (a!["content"]!.GetValue<string>(), a["id"]!.GetValue<long>(), a["special"]?.GetValue<bool>() ?? false)).ToList();
        var model = tok["model"]?.AsObject() ?? throw new InvalidDataException($"{tokenizerPath}: no 'model'.");
        string type = model["type"]?.GetValue<string>() ?? "?";
        if (type is not ("WordLevel" or "BPE"))
            throw new NotSupportedException($"{tokenizerPath}: tokenizer model type '{type}' is not supported yet (supported: BPE (byte-level), WordLevel).");
        var vocab = model["vocab"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>());
        long? Id(string? token) => token is not null && vocab.TryGetValue(token, out var id) ? id
            : added.Where(a => a.Item1 == token).Select(a => (long?)a.Item2).FirstOrDefault();
        string? Token(string key) => config[key] switch
        {
            null => null,
            JsonValue v => v.GetValue<string>(),
            JsonObject o => o["content"]?.GetValue<string>(),
            _ => throw new InvalidDataException($"{configPath}: {key} must be a token string or an AddedToken object."),
        };
        var special = new SpecialTokens
        {
            PadToken = Token("pad_token"), PadTokenId = Id(Token("pad_token")),
            EosToken = Token("eos_token"), EosTokenId = Id(Token("eos_token")),
            BosToken = Token("bos_token"), BosTokenId = Id(Token("bos_token")),
            UnkToken = Token("unk_token") ?? model["unk_token"]?.GetValue<string>(),
            UnkTokenId = Id(Token("unk_token") ?? model["unk_token"]?.GetValue<string>()),
        };
        if (type == "BPE" && HfBpe.IsSentencePiece(tok))
        {
            var sp = HfBpe.CreateSentencePiece(tok, added, special, chatTemplate, tokenizerPath);
            sp.NamedChatTemplates = named;
            return sp;
        }
        if (type == "BPE")
        {
            var addedIds = added.ToDictionary(a => a.Item1, a => checked((int)a.Item2), StringComparer.Ordinal);
            int vocabSize = (int)Math.Max(vocab.Values.DefaultIfEmpty(-1).Max(), added.Select(a => a.Item2).DefaultIfEmpty(-1).Max()) + 1;
            var specialIds = added.Where(a => a.Item3).Select(a => a.Item2).ToHashSet();
            return new MlTokenizer(HfBpe.Create(tok, addedIds, tokenizerPath), vocabSize, special, chatTemplate) { SpecialTokenIds = specialIds, NamedChatTemplates = named };
        }
        string? normalizer = tok["normalizer"]?["type"]?.GetValue<string>();
        if (normalizer is not (null or "Lowercase"))
            throw new NotSupportedException($"{tokenizerPath}: normalizer '{normalizer}' is not supported with WordLevel (supported: none, Lowercase).");
        string? pre = tok["pre_tokenizer"]?["type"]?.GetValue<string>();
        if (pre is not ("Whitespace" or null))
            throw new NotSupportedException($"{tokenizerPath}: pre-tokenizer '{pre}' is not supported with WordLevel (supported: Whitespace).");
        return new WordLevelTokenizer(vocab, added, model["unk_token"]?.GetValue<string>() ?? "<unk>", normalizer == "Lowercase", special, chatTemplate) { NamedChatTemplates = named };
    }

    /// <summary>The chat templates of a tokenizer folder that may have no tokenizer.json (a template-only checkout:
    /// tokenizer_config.json's chat_template, chat_template.jinja, additional_chat_templates/*.jinja, as
    /// <see cref="FromPretrained"/> finds them), or of one tokenizer_config.json file.</summary>
    public static ChatTemplateSet LoadChatTemplates(string path)
    {
        bool isFile = File.Exists(path);
        if (!isFile && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder.", path);
        var configPath = isFile ? path : Path.Combine(path, "tokenizer_config.json");
        var config = File.Exists(configPath) ? FileFormat.ReadJsonObject(configPath, FileFormat.MaxConfigBytes) : new JsonObject();
        var (main, named) = FileFormat.Read(configPath, () => ChatTemplatesOf(isFile ? null : path, config, configPath));
        return new ChatTemplateSet(main, named);
    }

    /// <summary>The chat templates of a tokenizer folder as transformers finds them: tokenizer_config.json's
    /// chat_template (a string, or a list of {name, template} whose "default" is the default), else chat_template.jinja;
    /// named extras in additional_chat_templates/*.jinja.</summary>
    static (string? Default, Dictionary<string, string> Named) ChatTemplatesOf(string? directory, JsonObject config, string configPath)
    {
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        string? main = null;
        switch (config["chat_template"])
        {
            case null: break;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String: main = v.GetValue<string>(); break;
            case JsonArray list:
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is not JsonObject entry || entry["name"] is not JsonValue n || n.GetValueKind() != System.Text.Json.JsonValueKind.String
                        || entry["template"] is not JsonValue t || t.GetValueKind() != System.Text.Json.JsonValueKind.String)
                        throw new InvalidDataException($"{configPath}: chat_template[{i}] must be an object with string 'name' and 'template'.");
                    named[n.GetValue<string>()] = t.GetValue<string>();
                }
                if (named.Remove("default", out var d)) main = d;
                break;
            case var other: throw new InvalidDataException($"{configPath}: chat_template must be a string or a list of {{name, template}}, got {other.GetValueKind()}.");
        }
        if (directory is null) return (main, named);
        var jinja = Path.Combine(directory, "chat_template.jinja");
        if (main is null && File.Exists(jinja)) main = File.ReadAllText(jinja);
        var extra = Path.Combine(directory, "additional_chat_templates");
        if (Directory.Exists(extra))
            foreach (var file in Directory.GetFiles(extra, "*.jinja").Order(StringComparer.Ordinal))
                named.TryAdd(Path.GetFileNameWithoutExtension(file), File.ReadAllText(file));
        return (main, named);
    }
}
