using Trl.Data;
using Trl.Tokenization;

namespace Trl.NashMd;

/// <summary>Nash-MD's prompts: prompt-only rows (text or messages, chat template with the generation prompt) become
/// <see cref="PromptExample"/>s; no truncation (as in TRL).</summary>
public class NashMdDatasetPreparer(ITextTokenizer tokenizer) : PromptDatasetPreparer(tokenizer);
