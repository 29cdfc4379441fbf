using Trl.Tokenization;

namespace Trl.Modeling;

/// <summary>Saving a model together with its tokenizer, as TRL's trainers save their processing class with the model.</summary>
public static class ModelSaving
{
    /// <summary>Saves the model (<see cref="PretrainedModel.SavePretrained(string, long)"/>) and its tokenizer
    /// (<see cref="TokenizerLoader.SavePretrained"/>), so the folder is a complete HF model folder that transformers,
    /// vLLM and <c>trl generate</c> load as it is.</summary>
    public static void SavePretrained(this PretrainedModel model, string directory, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        model.SavePretrained(directory);
        TokenizerLoader.SavePretrained(tokenizer, directory);
    }
}
