namespace Trl.Data;

/// <summary>A tokenized preference pair: a prompt and a chosen and a rejected completion (ids after the prompt).</summary>
public sealed record PreferenceExample(IReadOnlyList<long> PromptIds, IReadOnlyList<long> ChosenIds, IReadOnlyList<long> RejectedIds);
