using NUnit.Framework;
using Trl.Data;

namespace Trl.Testing;

/// <summary>The legacy (CPO/ORPO) tokenization of a recorded run, checked against TRL's processed dataset.</summary>
public static class LegacyPreferenceFixture
{
    /// <summary>The run's dataset rows.</summary>
    public static IEnumerable<DatasetRow> Rows(TrainerFixture fx)
    {
        ArgumentNullException.ThrowIfNull(fx);
        return fx.Result["dataset_rows"]!.AsArray().Select((r, i) => new DatasetRow(r!.AsObject(), "result.json", i + 1));
    }

    /// <summary>Asserts that each prepared pair (prompt, chosen, chosen labels, rejected, rejected labels) equals TRL's.</summary>
    public static void AssertMatches<T>(TrainerFixture fx, IReadOnlyList<T> pairs,
        Func<T, (IReadOnlyList<long> Prompt, IReadOnlyList<long> Chosen, IReadOnlyList<long> ChosenLabels, IReadOnlyList<long> Rejected, IReadOnlyList<long> RejectedLabels)> fields)
    {
        ArgumentNullException.ThrowIfNull(fx);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(fields);
        var processed = fx.Result["processed_train_dataset"]!.AsArray();
        for (int i = 0; i < pairs.Count; i++)
        {
            IEnumerable<long> Ids(string k) => processed[i]![k]!.AsArray().Select(x => x!.GetValue<long>());
            var p = fields(pairs[i]);
            Assert.That(p.Prompt, Is.EqualTo(Ids("prompt_input_ids")), $"row {i} prompt");
            Assert.That(p.Chosen, Is.EqualTo(Ids("chosen_input_ids")), $"row {i} chosen");
            Assert.That(p.ChosenLabels, Is.EqualTo(Ids("chosen_labels")), $"row {i} chosen labels");
            Assert.That(p.Rejected, Is.EqualTo(Ids("rejected_input_ids")), $"row {i} rejected");
            Assert.That(p.RejectedLabels, Is.EqualTo(Ids("rejected_labels")), $"row {i} rejected labels");
        }
    }
}
