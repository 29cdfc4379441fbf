namespace Trl.Gkd;

/// <summary>One tokenized example: prompt and completion ids together, and where the completion starts (the labels are
/// the completion tokens; the prompt is what on-policy generation continues).</summary>
public sealed record GkdExample(IReadOnlyList<long> InputIds, int PromptLength)
{
    /// <summary>The prompt tokens.</summary>
    public IReadOnlyList<long> PromptIds => InputIds.Take(PromptLength).ToArray();
    /// <summary>Label tokens (the completion).</summary>
    public int CompletionLength => InputIds.Count - PromptLength;
}
