using System.Text.Json.Nodes;
using Trl.Data;

namespace Trl.Tokenization;

/// <summary>Loads a Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json).</summary>
public static class TokenizerLoader
{
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
        return FileFormat.Read(tokenizerPath, () => Build(directory, tokenizerPath, tok, configPath, config));
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
