namespace Trl.Prm;

/// <summary>A tokenized step-wise example: ids, and per token the step label (0/1) on each step's last token, −100 elsewhere.</summary>
public sealed record PrmExample(IReadOnlyList<long> InputIds, IReadOnlyList<long> Labels);
