using Trl.Data;
using Trl.Tokenization;

namespace Trl.Rloo;

/// <summary>RLOO's prompts: prompt-only rows (text or messages, chat template with the generation prompt) become
/// <see cref="PromptExample"/>s; as in TRL there is no prompt truncation, and other columns go to the rewards.</summary>
public class RlooDatasetPreparer(ITextTokenizer tokenizer) : PromptDatasetPreparer(tokenizer);
