using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Generation;
using Trl.Modeling;
using Trl.Sft;
using Trl.Tokenization;

namespace Trl.Cli.Commands;

/// <summary><c>trl sft</c>: supervised fine-tuning from a TRL-style config. With no model and no dataset it trains
/// the embedded tiny model on the embedded string-reversal task.</summary>
internal static class SftCommand
{
    static readonly (string Key, string Default, string Help)[] Extra =
    {
        ("config", "None", "YAML file with any of these fields; flags override it"),
        ("model_name_or_path", "embedded tiny model", "local Hugging Face model folder (config.json + safetensors + tokenizer)"),
        ("tokenizer_name_or_path", "model_name_or_path", "folder with tokenizer.json / tokenizer_config.json"),
        ("dataset_name", "embedded reversal task", "local dataset: folder in HF layout or one .jsonl/.json file"),
        ("dataset_train_split", "train", "split to train on"),
    };

    /// <summary>Defaults of the embedded run: a from-scratch tiny model needs a higher rate than TRL's 2e-5.</summary>
    static SftConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-sft-output", LearningRate = 3e-3, MaxSteps = 500, PerDeviceTrainBatchSize = 32,
        LoggingSteps = 25, SaveSteps = 0, WarmupRatio = 0.05, Seed = 42, MaxLength = 64,
    };

    public static int Run(CliArguments args, TextWriter output)
    {
        if (args.Has("help"))
        {
            output.WriteLine("usage: trl sft [--config sft.yaml] [--field value ...]\n\nFields (TRL's SFTConfig names):");
            output.Write(ConfigBinder.Help(new SftConfig(), Extra));
            return ExitCodes.Success;
        }
        string? modelPath = args.Take("model_name_or_path");
        string? tokenizerPath = args.Take("tokenizer_name_or_path") ?? modelPath;
        string? datasetPath = args.Take("dataset_name");
        string split = args.Take("dataset_train_split") ?? "train";
        bool embedded = modelPath is null && datasetPath is null;
        if (!embedded && (modelPath is null || datasetPath is null))
            throw new CliException("give both --model_name_or_path and --dataset_name, or neither to use the embedded default.");
        var config = ConfigBinder.Bind(embedded ? EmbeddedDefaults() : new SftConfig(), args);
        ConfigBinder.RejectUnknown(args, "sft");
        config.Validate();

        string? embeddedDir = embedded ? EmbeddedDefault.Extract() : null;
        tokenizerPath ??= embeddedDir!;
        datasetPath ??= Path.Combine(embeddedDir!, "train.jsonl");
        var tokenizer = TokenizerLoader.FromPretrained(tokenizerPath);
        using var model = embedded
            ? CausalLM.FromConfig(ModelConfig.Load(Path.Combine(embeddedDir!, "config.json")), config.Seed)
            : CausalLM.FromPretrained(modelPath!);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException($"{tokenizerPath}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {model.Config.VocabSize}.");

        var preparer = new SftDatasetPreparer(tokenizer, config);
        var examples = DatasetLoader.Read(datasetPath, split).Select(preparer.Prepare).ToList();
        output.WriteLine($"trl sft: {examples.Count} examples from {datasetPath}; model {(embedded ? "embedded tiny qwen2 (random init)" : modelPath)}; output {config.OutputDir}");

        double? before = embedded ? ReversalAccuracy(model, tokenizer, embeddedDir!) : null;
        long pad = tokenizer.Special.PadTokenId ?? tokenizer.Special.EosTokenId ?? 0;
        using var trainer = new SftTrainer(model, config, examples, pad);
        trainer.Callbacks.Add(new ConsoleReporter(output));
        var state = trainer.Train();
        model.SavePretrained(config.OutputDir);
        CopyTokenizerFiles(tokenizerPath, config.OutputDir);
        ConsoleReporter.Summary(output, state);
        if (embedded)
        {
            double after = ReversalAccuracy(model, tokenizer, embeddedDir!);
            output.WriteLine($"held-out reversal exact match: {before:P0} before training -> {after:P0} after");
        }
        output.WriteLine($"saved model to {Path.GetFullPath(config.OutputDir)}");
        return ExitCodes.Success;
    }

    static void CopyTokenizerFiles(string from, string to)
    {
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json" })
            if (File.Exists(Path.Combine(from, f)) && !File.Exists(Path.Combine(to, f)))
                File.Copy(Path.Combine(from, f), Path.Combine(to, f));
    }

    /// <summary>Greedy exact-match accuracy on the embedded held-out reversal prompts: the task is verifiable.</summary>
    static double ReversalAccuracy(CausalLM model, ITextTokenizer tokenizer, string dir)
    {
        var rows = DatasetLoader.Read(Path.Combine(dir, "test.jsonl")).ToList();
        var prompts = rows.Select(r => tokenizer.Encode(r.GetString("prompt"))).ToList();
        var result = new TextGenerator(model).Generate(prompts, new GenerationOptions
        {
            DoSample = false, MaxNewTokens = 8, EosTokenIds = new[] { tokenizer.Special.EosTokenId ?? 1 }, PadTokenId = tokenizer.Special.PadTokenId ?? 0,
        });
        int correct = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var expected = tokenizer.Encode(rows[i].GetString("completion")).ToList();
            var got = result.CompletionIds[i].Where(id => id != (tokenizer.Special.EosTokenId ?? 1)).ToList();
            if (got.SequenceEqual(expected)) correct++;
        }
        return (double)correct / rows.Count;
    }
}
