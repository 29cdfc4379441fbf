using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Trl.Tokenization;

/// <summary>Builds a Microsoft.ML.Tokenizers byte-level BPE from a Hugging Face tokenizer.json (GPT-2, Qwen2/2.5/3,
/// Llama 3, SmolLM …): the vocabulary and merges, the Split regex of the pre-tokenizer (or GPT-2's when the ByteLevel
/// pre-tokenizer splits by itself), added tokens matched before pre-tokenization, and an NFC normalizer if declared.
/// Anything it cannot reproduce exactly is refused with an error naming the file and the component.</summary>
internal static class HfBpe
{
    // GPT-2's pre-tokenization, used by the ByteLevel pre-tokenizer with use_regex=true.
    const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>True for SentencePiece-style BPE (Llama 2, Mistral): byte fallback, a "▁" Prepend/Replace normalizer
    /// or a Metaspace pre-tokenizer, rather than byte-level BPE.</summary>
    public static bool IsSentencePiece(JsonObject tok)
    {
        var json = (tok["normalizer"]?.ToJsonString() ?? "") + (tok["pre_tokenizer"]?.ToJsonString() ?? "");
        return tok["model"]?["byte_fallback"]?.GetValue<bool>() == true || json.Contains("Metaspace", StringComparison.Ordinal)
            || json.Contains("\"Prepend\"", StringComparison.Ordinal);
    }

    /// <summary>A <see cref="SentencePieceBpeTokenizer"/> from tokenizer.json, or an error naming what it cannot reproduce.</summary>
    public static SentencePieceBpeTokenizer CreateSentencePiece(JsonObject tok, IReadOnlyList<(string, long, bool)> added, SpecialTokens special, string? chatTemplate, string path)
    {
        var model = tok["model"]!.AsObject();
        string prependScheme = "never";
        bool split = false;
        var normalizers = tok["normalizer"] switch
        {
            null => new List<JsonNode>(),
            JsonNode n when n["type"]?.GetValue<string>() == "Sequence" => n["normalizers"]!.AsArray().Select(x => x!).ToList(),
            JsonNode n => new List<JsonNode> { n },
        };
        foreach (var n in normalizers)
        {
            string? type = n["type"]?.GetValue<string>();
            string? pattern = n["pattern"] is JsonObject p ? p["String"]?.GetValue<string>() : null;
            if (type == "Prepend" && n["prepend"]?.GetValue<string>() == "\u2581") prependScheme = "normalizer";
            else if (!(type == "Replace" && pattern == " " && n["content"]?.GetValue<string>() == "\u2581"))
                throw new NotSupportedException($"{path}: normalizer '{type}' is not supported with SentencePiece-style BPE (supported: Prepend ▁, Replace space → ▁).");
        }
        if (tok["pre_tokenizer"] is JsonNode pre)
        {
            if (pre["type"]?.GetValue<string>() != "Metaspace" || pre["replacement"]?.GetValue<string>() != "\u2581")
                throw new NotSupportedException($"{path}: pre-tokenizer '{pre["type"]}' is not supported with SentencePiece-style BPE (supported: Metaspace with ▁).");
            prependScheme = pre["prepend_scheme"]?.GetValue<string>() ?? (pre["add_prefix_space"]?.GetValue<bool>() == false ? "never" : "always");
            split = pre["split"]?.GetValue<bool>() ?? true;
        }
        var vocab = model["vocab"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>());
        var merges = model["merges"]!.AsArray().Select(m => m is JsonArray pair ? pair[0]!.GetValue<string>() + " " + pair[1]!.GetValue<string>() : m!.GetValue<string>());
        return new SentencePieceBpeTokenizer(vocab, merges, added, model["unk_token"]?.GetValue<string>(),
            model["byte_fallback"]?.GetValue<bool>() == true, model["fuse_unk"]?.GetValue<bool>() == true, prependScheme, split, special, chatTemplate);
    }

    public static Tokenizer Create(JsonObject tok, IReadOnlyDictionary<string, int> addedTokens, string path)
    {
        var model = tok["model"]!.AsObject();
        if (model["byte_fallback"]?.GetValue<bool>() == true || model["continuing_subword_prefix"]?.GetValue<string>() is { Length: > 0 } || model["end_of_word_suffix"]?.GetValue<string>() is { Length: > 0 })
            throw new NotSupportedException($"{path}: SentencePiece-style BPE (byte_fallback, subword prefixes/suffixes) is not supported; byte-level BPE is.");
        var (pattern, byteLevel) = PreTokenization(tok["pre_tokenizer"], path);
        if (!byteLevel && tok["decoder"]?["type"]?.GetValue<string>() != "ByteLevel")
            throw new NotSupportedException($"{path}: only byte-level BPE tokenizers are supported (no ByteLevel pre-tokenizer or decoder found).");
        var vocab = model["vocab"]!.AsObject().Select(kv => new KeyValuePair<string, int>(kv.Key, kv.Value!.GetValue<int>())).ToList();
        var merges = model["merges"]!.AsArray().Select(m => m switch
        {
            JsonArray pair => pair[0]!.GetValue<string>() + " " + pair[1]!.GetValue<string>(),
            _ => m!.GetValue<string>(),
        }).ToList();
        var specials = addedTokens.Count > 0 ? addedTokens : null;
        return BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern ?? Gpt2Pattern, RegexOptions.Compiled), specials),
            Normalizer = NormalizerOf(tok["normalizer"], path),
            UnknownToken = model["unk_token"]?.GetValue<string>(),
        });
    }

    /// <summary>The Split regex (if any) and whether a ByteLevel step is present.</summary>
    static (string? Pattern, bool ByteLevel) PreTokenization(JsonNode? node, string path)
    {
        if (node is null) return (null, false);
        var steps = node["type"]?.GetValue<string>() == "Sequence" ? node["pretokenizers"]!.AsArray().Select(s => s!).ToList() : new List<JsonNode> { node };
        string? pattern = null;
        bool byteLevel = false;
        foreach (var step in steps)
        {
            switch (step["type"]?.GetValue<string>())
            {
                case "Split":
                    if (step["behavior"]?.GetValue<string>() != "Isolated" || step["invert"]?.GetValue<bool>() == true)
                        throw new NotSupportedException($"{path}: Split pre-tokenizer behaviour '{step["behavior"]}' is not supported (Isolated is).");
                    pattern = step["pattern"]?["Regex"]?.GetValue<string>() ?? Regex.Escape(step["pattern"]?["String"]?.GetValue<string>() ?? "");
                    break;
                case "ByteLevel":
                    byteLevel = true;
                    if (step["add_prefix_space"]?.GetValue<bool>() == true)
                        throw new NotSupportedException($"{path}: ByteLevel add_prefix_space=true is not supported.");
                    if (step["use_regex"]?.GetValue<bool>() != false)
                    {
                        if (pattern is not null) throw new NotSupportedException($"{path}: a Split followed by a splitting ByteLevel pre-tokenizer is not supported.");
                        pattern = Gpt2Pattern;
                    }
                    break;
                case "Digits" when step["individual_digits"]?.GetValue<bool>() == true && pattern is null:
                    pattern = @"\p{N}|[^\p{N}]+";
                    break;
                case var other:
                    throw new NotSupportedException($"{path}: pre-tokenizer '{other}' is not supported with BPE (supported: Split, ByteLevel).");
            }
        }
        return (pattern, byteLevel);
    }

    static Normalizer? NormalizerOf(JsonNode? node, string path) => node?["type"]?.GetValue<string>() switch
    {
        null => null,
        "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
        "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
        var other => throw new NotSupportedException($"{path}: normalizer '{other}' is not supported with BPE (supported: none, NFC, NFKC)."),
    };

    /// <summary>Unicode normalisation as HF's NFC/NFKC normalizers do.</summary>
    sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
    {
        public override string Normalize(string original) => original.Normalize(form);
        public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(form);
    }
}
