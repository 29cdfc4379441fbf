using Trl.Data;
using Trl.Tokenization;

namespace Trl.Xpo;

/// <summary>XPO's prompts: prompt-only rows (text or messages, chat template with the generation prompt) become
/// <see cref="PromptExample"/>s; no truncation (as in TRL).</summary>
public class XpoDatasetPreparer(ITextTokenizer tokenizer) : PromptDatasetPreparer(tokenizer);
