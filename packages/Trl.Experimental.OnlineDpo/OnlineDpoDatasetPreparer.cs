using Trl.Data;
using Trl.Tokenization;

namespace Trl.OnlineDpo;

/// <summary>Online DPO's prompts: prompt-only rows (text or messages, chat template with the generation prompt) become
/// <see cref="PromptExample"/>s with their other columns for the reward functions; no truncation here (max_length
/// cuts only the log-prob pass).</summary>
public class OnlineDpoDatasetPreparer(ITextTokenizer tokenizer) : PromptDatasetPreparer(tokenizer);
