using System.IO.Compression;
using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Core.Tests.Tokenization;

/// <summary>The real Qwen2.5 tokenizer.json (byte-level BPE, NFC, a Split regex, 22 added tokens) loads through
/// Microsoft.ML.Tokenizers and encodes exactly as Hugging Face's own implementation does (golden ids from the
/// @huggingface/tokenizers port, see tests/fixtures/tokenizers/make_golden.mjs): English, code, digits split one by
/// one, whitespace runs, contractions, non-Latin scripts, emoji, and ChatML special tokens.</summary>
public class ByteLevelBpeTests
{
    static readonly Lazy<string> Qwen = new(() =>
    {
        var source = Path.Combine(Fixtures.Root, "tokenizers", "qwen2_5");
        var dir = Path.Combine(Path.GetTempPath(), "trl-tests", "qwen2_5-tokenizer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(source, "tokenizer.json.gz")), CompressionMode.Decompress))
        using (var output = File.Create(Path.Combine(dir, "tokenizer.json"))) gz.CopyTo(output);
        File.Copy(Path.Combine(source, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));
        return dir;
    });

    static readonly Lazy<ITextTokenizer> Tokenizer = new(() => TokenizerLoader.FromPretrained(Qwen.Value));

    public static IEnumerable<TestCaseData> Cases() =>
        Fixtures.Json(Path.Combine(Fixtures.Root, "tokenizers", "qwen2_5", "golden.json"))["cases"]!.AsArray()
            .Select((c, i) => new TestCaseData(i, c!["text"]!.GetValue<string>(), c["ids"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray(), c["decoded"]!.GetValue<string>())
                .SetName($"Qwen25Encodes({i})"));

    [TestCaseSource(nameof(Cases))]
    public void EncodesAndDecodesLikeHuggingFace(int index, string text, long[] ids, string decoded)
    {
        var tokenizer = Tokenizer.Value;
        Assert.That(tokenizer.Encode(text), Is.EqualTo(ids), $"case {index}: {text}");
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(decoded), $"case {index}");
    }

    [Test]
    public void SpecialTokensAndChatTemplateComeFromTheConfig()
    {
        var tokenizer = Tokenizer.Value;
        Assert.That(tokenizer.VocabSize, Is.EqualTo(151665));
        Assert.That(tokenizer.Special.EosToken, Is.EqualTo("<|im_end|>"));
        Assert.That(tokenizer.Special.EosTokenId, Is.EqualTo(151645));
        Assert.That(tokenizer.Special.PadTokenId, Is.EqualTo(151643));
        Assert.That(tokenizer.ChatTemplate, Does.Contain("<|im_start|>"));
        // skip_special_tokens drops the added special tokens only.
        var ids = tokenizer.Encode("<|im_start|>assistant\nHi there<|im_end|>");
        Assert.That(tokenizer.Decode(ids, skipSpecialTokens: true), Is.EqualTo("assistant\nHi there"));
        // Offsets map tokens back onto the text (used for assistant masks).
        var withOffsets = tokenizer.EncodeWithOffsets("Hello World");
        Assert.That(withOffsets.Select(t => (t.Start, t.End)), Is.EqualTo(new[] { (0, 5), (5, 11) }));
    }
}

/// <summary>SentencePiece-style BPE as Llama 2 / Mistral ship it in tokenizer.json ("▁" Prepend/Replace normalizers or a
/// Metaspace pre-tokenizer, byte fallback to &lt;0xXX&gt;, fused unknowns), on a vocabulary of our own
/// (tests/fixtures/tokenizers/make_sp_bpe.py): ids and decoded text equal Hugging Face's implementation on the same
/// golden texts, including non-Latin scripts and emoji that only byte fallback can encode, and &lt;s&gt; / &lt;/s&gt;.</summary>
public class SentencePieceBpeTests
{
    public static IEnumerable<TestCaseData> Cases() => new[] { "sp_bpe", "sp_bpe_metaspace" }.SelectMany(folder =>
        Fixtures.Json(Path.Combine(Fixtures.Root, "tokenizers", folder, "golden.json"))["cases"]!.AsArray()
            .Select((c, i) => new TestCaseData(folder, c!["text"]!.GetValue<string>(), c["ids"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray(), c["decoded"]!.GetValue<string>())
                .SetName($"{folder}({i})")));

    [TestCaseSource(nameof(Cases))]
    public void EncodesAndDecodesLikeHuggingFace(string folder, string text, long[] ids, string decoded)
    {
        var tokenizer = TokenizerLoader.FromPretrained(Path.Combine(Fixtures.Root, "tokenizers", folder));
        Assert.That(tokenizer, Is.TypeOf<SentencePieceBpeTokenizer>());
        Assert.That(tokenizer.Encode(text), Is.EqualTo(ids), text);
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(decoded), text);
    }

    [Test]
    public void SpecialTokensOffsetsAndSkipping()
    {
        var tokenizer = TokenizerLoader.FromPretrained(Path.Combine(Fixtures.Root, "tokenizers", "sp_bpe"));
        Assert.That(tokenizer.Special.BosTokenId, Is.EqualTo(1));
        Assert.That(tokenizer.Special.EosTokenId, Is.EqualTo(2));
        var ids = tokenizer.Encode("<s>the end</s>");
        Assert.That(tokenizer.Decode(ids, skipSpecialTokens: true), Is.EqualTo("the end"));
        // Offsets point into the raw text (byte-fallback pieces share their character's span).
        var text = "the café";
        foreach (var (id, start, end) in tokenizer.EncodeWithOffsets(text))
            Assert.That(start >= 0 && end <= text.Length && start <= end, Is.True, $"{id}: {start}..{end}");
        Assert.That(tokenizer.EncodeWithOffsets(text)[^1].End, Is.EqualTo(text.Length));
    }
}
