using Trl.Data;
using Trl.Tokenization;

namespace Trl.Prm;

/// <summary>Tokenizes stepwise-supervision rows {prompt, completions: [steps], labels: [bool per step]} as TRL's
/// PRMTrainer.tokenize_row: each step followed by step_separator, its label on the step's last token (−100
/// elsewhere), BOS before the prompt, truncation to max_completion_length and max_length.</summary>
public class PrmDatasetPreparer(ITextTokenizer tokenizer, PrmConfig config) : DatasetPreparer<PrmExample>
{
    /// <inheritdoc />
    protected override IEnumerable<PrmExample> PrepareRow(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var prompt = row.GetString("prompt");
        var steps = row.GetList("completions");
        var stepLabels = row.GetList("labels");
        if (stepLabels.Count != steps.Count) throw row.Error("labels", $"must be a list of {steps.Count} booleans, one per step (got {stepLabels.Count})");
        var separator = tokenizer.Encode(config.StepSeparator);
        var promptIds = tokenizer.Encode(prompt).ToList();
        if (tokenizer.Special.BosTokenId is long bos) promptIds.Insert(0, bos);
        var ids = new List<long>();
        var labels = new List<long>();
        for (int s = 0; s < steps.Count; s++)
        {
            if (steps[s] is not System.Text.Json.Nodes.JsonValue step || step.GetValueKind() != System.Text.Json.JsonValueKind.String)
                throw row.Error($"completions[{s}]", "must be a string");
            if (stepLabels[s] is not System.Text.Json.Nodes.JsonValue flag || flag.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
                throw row.Error($"labels[{s}]", "must be true or false");
            var stepIds = tokenizer.Encode(step.GetValue<string>()).Concat(separator).ToList();
            if (stepIds.Count == 0) throw row.Error($"completions[{s}]", "tokenizes to nothing (an empty step and separator)");
            bool labelled = !config.TrainOnLastStepOnly || s == steps.Count - 1;
            long label = flag.GetValue<bool>() ? 1 : 0;
            ids.AddRange(stepIds);
            labels.AddRange(Enumerable.Repeat(-100L, stepIds.Count - 1));
            labels.Add(labelled ? label : -100);
        }
        if (config.MaxCompletionLength is int mc && ids.Count > mc) { ids = ids.Take(mc).ToList(); labels = labels.Take(mc).ToList(); }
        var allIds = promptIds.Concat(ids).ToList();
        var allLabels = Enumerable.Repeat(-100L, promptIds.Count).Concat(labels).ToList();
        if (config.MaxLength is int ml && allIds.Count > ml) { allIds = allIds.Take(ml).ToList(); allLabels = allLabels.Take(ml).ToList(); }
        return new[] { new PrmExample(allIds, allLabels) };
    }
}
