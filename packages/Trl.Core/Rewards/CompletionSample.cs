namespace Trl.Rewards;

/// <summary>One sampled completion as an online trainer scored it, for people to read what the model says.</summary>
/// <param name="Step">The optimizer step the generation belongs to.</param>
/// <param name="Prompt">The prompt text.</param>
/// <param name="Completion">The decoded completion.</param>
/// <param name="Rewards">Each reward function's score by name (NaN: not applicable).</param>
public sealed record CompletionSample(int Step, string Prompt, string Completion, IReadOnlyDictionary<string, double> Rewards);
