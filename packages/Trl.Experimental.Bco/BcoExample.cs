namespace Trl.Bco;

/// <summary>An unpaired example tokenized the legacy way: prompt+answer+EOS ids, labels −100 over the prompt.</summary>
public sealed record BcoExample(IReadOnlyList<long> PromptIds, IReadOnlyList<long> CompletionIds, IReadOnlyList<long> CompletionLabels, bool Label);
