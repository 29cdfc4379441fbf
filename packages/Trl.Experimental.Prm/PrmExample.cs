using Trl.Data;
using Trl.Tokenization;

namespace Trl.Prm;

/// <summary>A tokenized step-wise example: ids, and per token the step label (0/1) on each step's last token, −100 elsewhere.</summary>
public sealed record PrmExample(IReadOnlyList<long> InputIds, IReadOnlyList<long> Labels)
{
    /// <summary>Tokenizes a stepwise-supervision row {prompt, completions: [steps], labels: [bool per step]} as TRL's
    /// PRMTrainer.tokenize_row does.</summary>
    public static PrmExample Tokenize(DatasetRow row, ITextTokenizer tokenizer, PrmConfig config)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(config);
        var prompt = row.GetString("prompt");
        if (row.Values["completions"] is not System.Text.Json.Nodes.JsonArray steps) throw row.Error("completions", "must be a list of step strings");
        if (row.Values["labels"] is not System.Text.Json.Nodes.JsonArray stepLabels || stepLabels.Count != steps.Count)
            throw row.Error("labels", $"must be a list of {steps.Count} booleans, one per step");
        var separator = tokenizer.Encode(config.StepSeparator);
        var promptIds = tokenizer.Encode(prompt).ToList();
        if (tokenizer.Special.BosTokenId is long bos) promptIds.Insert(0, bos);
        var ids = new List<long>();
        var labels = new List<long>();
        for (int s = 0; s < steps.Count; s++)
        {
            var stepIds = tokenizer.Encode(steps[s]!.GetValue<string>()).Concat(separator).ToList();
            if (stepIds.Count == 0) throw row.Error($"completions[{s}]", "tokenizes to nothing (an empty step and separator)");
            bool labelled = !config.TrainOnLastStepOnly || s == steps.Count - 1;
            long label = stepLabels[s]!.GetValue<bool>() ? 1 : 0;
            ids.AddRange(stepIds);
            labels.AddRange(Enumerable.Repeat(-100L, stepIds.Count - 1));
            labels.Add(labelled ? label : -100);
        }
        if (config.MaxCompletionLength is int mc && ids.Count > mc) { ids = ids.Take(mc).ToList(); labels = labels.Take(mc).ToList(); }
        var allIds = promptIds.Concat(ids).ToList();
        var allLabels = Enumerable.Repeat(-100L, promptIds.Count).Concat(labels).ToList();
        if (config.MaxLength is int ml && allIds.Count > ml) { allIds = allIds.Take(ml).ToList(); allLabels = allLabels.Take(ml).ToList(); }
        return new PrmExample(allIds, allLabels);
    }
}
