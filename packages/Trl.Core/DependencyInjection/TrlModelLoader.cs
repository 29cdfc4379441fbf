using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trl.Data;
using Trl.Modeling;
using Trl.Tokenization;

namespace Trl.DependencyInjection;

/// <summary>Loads models, tokenizers and datasets from local Hugging Face folders; the service <c>AddTrl</c> registers.</summary>
public sealed class TrlModelLoader(ILoggerFactory? loggerFactory = null)
{
    readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TrlModelLoader>();

    /// <summary>A causal LM from a model folder.</summary>
    public CausalLM LoadCausalLM(string directory)
    {
        _logger.LogInformation("Loading causal LM from {Directory}", directory);
        return CausalLM.FromPretrained(directory);
    }

    /// <summary>A sequence classifier (reward or value model) from a model folder; with <paramref name="numLabels"/> a
    /// causal LM (or another head size) gets a new head of that size, as transformers does.</summary>
    public SequenceClassifier LoadSequenceClassifier(string directory, int? numLabels = null, long? seed = null) => SequenceClassifier.FromPretrained(directory, numLabels, seed);

    /// <summary>The tokenizer of a folder.</summary>
    public ITextTokenizer LoadTokenizer(string directory) => TokenizerLoader.FromPretrained(directory);

    /// <summary>Rows of a local dataset file or folder.</summary>
    public IEnumerable<DatasetRow> ReadDataset(string path, string split = "train") => DatasetLoader.Read(path, split);
}
