using NUnit.Framework;
using Trl.Data;
using Trl.Tokenization;

namespace Trl.Testing;

/// <summary>The legacy (CPO/ORPO/BCO) tokenization of a recorded run, checked against TRL's processed dataset.</summary>
public static class LegacyPreferenceFixture
{
    /// <summary>Tokenizes the run's rows and asserts they equal TRL's.</summary>
    public static List<LegacyPreferenceExample> TokenizeAndCheck(TrainerFixture fx, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(fx);
        var rows = fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1));
        var pairs = rows.Select(r => LegacyPreferenceExample.Tokenize(r, tokenizer, 1024)).ToList();
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < pairs.Count; i++)
        {
            IEnumerable<long> Ids(string k) => processed[i]![k]!.AsArray().Select(x => x!.GetValue<long>());
            Assert.That(pairs[i].PromptIds, Is.EqualTo(Ids("prompt_input_ids")), $"row {i} prompt");
            Assert.That(pairs[i].ChosenIds, Is.EqualTo(Ids("chosen_input_ids")), $"row {i} chosen");
            Assert.That(pairs[i].ChosenLabels, Is.EqualTo(Ids("chosen_labels")), $"row {i} chosen labels");
            Assert.That(pairs[i].RejectedIds, Is.EqualTo(Ids("rejected_input_ids")), $"row {i} rejected");
            Assert.That(pairs[i].RejectedLabels, Is.EqualTo(Ids("rejected_labels")), $"row {i} rejected labels");
        }
        return pairs;
    }
}
