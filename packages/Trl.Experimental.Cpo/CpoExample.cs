namespace Trl.Cpo;

/// <summary>A preference pair tokenized as TRL's CPOTrainer does: prompt ids (BOS first when the tokenizer has one),
/// and prompt+answer+EOS ids for chosen and rejected, with labels −100 over the prompt.</summary>
public sealed record CpoExample(IReadOnlyList<long> PromptIds, IReadOnlyList<long> ChosenIds, IReadOnlyList<long> ChosenLabels,
    IReadOnlyList<long> RejectedIds, IReadOnlyList<long> RejectedLabels);
