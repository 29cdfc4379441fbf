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
