using Trl.Data;
using Trl.Tokenization;

namespace Trl.Grpo;

/// <summary>GRPO's prompt preparation: prompt-only rows become <see cref="PromptExample"/>s (chat template with the
/// generation prompt for conversations), max_prompt_length keeps the last tokens, other columns go to the rewards.</summary>
public class GrpoDatasetPreparer(ITextTokenizer tokenizer, GrpoConfig config)
    : PromptDatasetPreparer(tokenizer, (config ?? throw new ArgumentNullException(nameof(config))).MaxPromptLength);
