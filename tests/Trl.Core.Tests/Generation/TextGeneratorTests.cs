using System.Text.Json.Nodes;
using Trl.Generation;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Generation;

/// <summary>Greedy generation equal to transformers' generate() on the fixture checkpoints, singly and as a
/// left-padded batch; sampling reproducible under a seed; rows stop at EOS.</summary>
[TestFixture("trl", "qwen2_tiny")]
[TestFixture("trl2", "qwen3_tiny")]
public class TextGeneratorTests(string set, string name)
{
    JsonNode Golden => Fixtures.Json(Path.Combine(Fixtures.Root, set, "model_parity", name, "generate.json"));
    CausalLM Load() => CausalLM.FromPretrained(Path.Combine(Fixtures.Root, set, "models", name));

    static List<IReadOnlyList<long>> Ids(JsonNode node) =>
        node.AsArray().Select(p => (IReadOnlyList<long>)p!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToList();

    [Test]
    public void GreedyTokensEqualTransformersSinglyAndBatchedWithLeftPadding()
    {
        using var model = Load();
        var g = Golden;
        var prompts = Ids(g["prompts"]!);
        var options = new GenerationOptions { DoSample = false, MaxNewTokens = g["max_new_tokens"]!.GetValue<int>() };
        var generator = new TextGenerator(model);
        var single = g["single"]!.AsArray();
        for (int i = 0; i < prompts.Count; i++)
        {
            var r = generator.Generate(new[] { prompts[i] }, options);
            Assert.That(r.CompletionIds[0], Is.EqualTo(Ids(new JsonArray(single[i]!["new_tokens"]!.DeepClone()))[0]), $"prompt {i}");
        }
        var batched = generator.Generate(prompts, options);
        var expected = Ids(g["batched_left_padded"]!["new_tokens"]!);
        Assert.That(batched.CompletionIds, Is.EqualTo(expected));
    }

    [Test]
    public void SeededSamplingIsReproducibleAndTopKOneIsGreedy()
    {
        using var model = Load();
        var prompts = Ids(Golden["prompts"]!);
        var generator = new TextGenerator(model);
        var sampling = new GenerationOptions { DoSample = true, MaxNewTokens = 8, Temperature = 0.9, TopP = 0.95, TopK = 50, MinP = 0.01, RepetitionPenalty = 1.1, Seed = 7, NumReturnSequences = 2 };
        var a = generator.Generate(prompts, sampling);
        var b = generator.Generate(prompts, sampling);
        Assert.That(a.CompletionIds, Has.Count.EqualTo(4));
        Assert.That(a.CompletionIds, Is.EqualTo(b.CompletionIds));
        var greedy = generator.Generate(prompts, new GenerationOptions { DoSample = false, MaxNewTokens = 6 });
        var topOne = generator.Generate(prompts, new GenerationOptions { DoSample = true, TopK = 1, MaxNewTokens = 6, Seed = 1 });
        Assert.That(topOne.CompletionIds, Is.EqualTo(greedy.CompletionIds));
    }

    [Test]
    public void EachRowStopsAtItsOwnEos()
    {
        using var model = Load();
        var prompts = Ids(Golden["prompts"]!);
        var generator = new TextGenerator(model);
        var free = generator.Generate(prompts, new GenerationOptions { DoSample = false, MaxNewTokens = 12 });
        long stopAt = free.CompletionIds[0][2];    // declare row 0's third token an EOS
        var stopped = generator.Generate(prompts, new GenerationOptions { DoSample = false, MaxNewTokens = 12, EosTokenIds = new[] { stopAt } });
        Assert.That(stopped.CompletionIds[0], Is.EqualTo(free.CompletionIds[0].Take(3)));
        Assert.That(stopped.EndedWithEos[0], Is.True);
        int idx = free.CompletionIds[1].ToList().IndexOf(stopAt);
        Assert.That(stopped.CompletionIds[1], Is.EqualTo(idx < 0 ? free.CompletionIds[1] : free.CompletionIds[1].Take(idx + 1)));
    }
}
