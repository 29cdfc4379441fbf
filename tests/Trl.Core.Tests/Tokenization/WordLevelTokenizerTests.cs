using Trl.Testing;
using Trl.Tokenization;

namespace Trl.Core.Tests.Tokenization;

/// <summary>Every encode/decode example of tokenizer_encodings.json (from the Rust tokenizers library).</summary>
public class WordLevelTokenizerTests
{
    [Test]
    public void EncodingsAndDecodingsMatchHuggingFaceTokenizers()
    {
        var tok = TokenizerLoader.FromPretrained(Fixtures.Trl("tokenizer"));
        var golden = Fixtures.Json(Fixtures.Trl("tokenizer_encodings.json"));
        Assert.That(tok.VocabSize, Is.EqualTo(golden["vocab_size"]!.GetValue<int>()));
        Assert.That(tok.Special.PadTokenId, Is.EqualTo(0));
        Assert.That(tok.Special.EosTokenId, Is.EqualTo(1));
        Assert.That(tok.Special.BosTokenId, Is.Null);
        int n = 0;
        foreach (var e in golden["encodings"]!.AsArray())
        {
            var text = e!["text"]!.GetValue<string>();
            var ids = e["input_ids"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            Assert.That(tok.Encode(text), Is.EqualTo(ids), $"encode '{text}'");
            Assert.That(tok.Decode(ids), Is.EqualTo(e["decoded"]!.GetValue<string>()), $"decode '{text}'");
            Assert.That(tok.Decode(ids, skipSpecialTokens: true), Is.EqualTo(e["decoded_skip_special"]!.GetValue<string>()), $"decode skip '{text}'");
            n++;
        }
        Assert.That(n, Is.GreaterThan(20));
    }

    [Test]
    public void UnsupportedTokenizerModelIsAClearError()
    {
        var dir = Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{\"model\":{\"type\":\"Unigram\"}}");
        var ex = Assert.Throws<NotSupportedException>(() => TokenizerLoader.FromPretrained(dir));
        Assert.That(ex!.Message, Does.Contain("Unigram").And.Contain("tokenizer.json"));
    }
}
