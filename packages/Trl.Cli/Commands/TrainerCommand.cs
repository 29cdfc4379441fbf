using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Modeling;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Cli.Commands;

/// <summary>One <c>trl &lt;name&gt;</c> training subcommand, as the registry (<see cref="TrainerCommands"/>) lists it: its
/// name, what it does, the package that trains (whose stage decides the experimental notice), and the help text.</summary>
internal abstract class TrainerCommand
{
    /// <summary>The subcommand.</summary>
    public abstract string Name { get; }
    /// <summary>One line for <c>trl --help</c>.</summary>
    public abstract string Summary { get; }
    /// <summary>The trainer's NuGet package.</summary>
    public abstract string PackageId { get; }
    /// <summary>Whether the trainer package is a prerelease (its subcommand says so when it runs).</summary>
    public bool Experimental => PackageId.StartsWith("Trl.Experimental.", StringComparison.Ordinal);
    /// <summary>Why the trainer package is deprecated (its last version before retirement), from the package itself
    /// (eng/StageRules.targets writes <c>TrlDeprecated</c> assembly metadata); null when it is not.</summary>
    public virtual string? Deprecation => null;
    /// <summary>Runs the subcommand.</summary>
    public abstract int Run(CliArguments args, TextWriter output);
    /// <summary>Fields this subcommand takes besides the common ones and its config's.</summary>
    public virtual IEnumerable<(string Key, string Default, string Help)> ExtraFields => [];
}

/// <summary>A training subcommand over <typeparamref name="TConfig"/> and examples <typeparamref name="TExample"/>: the
/// shared flow (config from YAML/flags or the embedded default, tokenizer, rows prepared once through the tokenization
/// cache, the trainer with evaluation, the console report, save) with only what is specific to the trainer left to
/// override: the embedded run's settings, the preparer and how the models and trainer are built.</summary>
internal abstract class TrainerCommand<TConfig, TExample> : TrainerCommand where TConfig : TrainingOptions, new()
{
    /// <inheritdoc />
    public override string? Deprecation => typeof(TConfig).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TrlDeprecated")?.Value;

    /// <summary>The embedded default's dataset file.</summary>
    protected abstract string EmbeddedDataset { get; }

    /// <summary>The embedded run's settings (a from-scratch tiny model needs a higher rate than TRL's defaults).</summary>
    protected virtual TConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new TConfig(), Name);

    /// <summary>The preparer that turns rows into examples.</summary>
    protected abstract DatasetPreparer<TExample> CreatePreparer(ITextTokenizer tokenizer, TConfig config);

    /// <summary>Builds the models (loaded or embedded) and the trainer over the prepared examples.</summary>
    protected abstract TrainerSession<TExample> CreateTrainer(TrainingRun run, TConfig config, ITextTokenizer tokenizer, IReadOnlyList<TExample> examples, TextWriter output);

    /// <summary>Extra words for the run's first line (loss type, beta …).</summary>
    protected virtual string Describe(TConfig config) => "";

    /// <summary>Takes subcommand-specific arguments before the config is bound (e.g. GRPO's reward_funcs).</summary>
    protected virtual void TakeArguments(CliArguments args) { }

    /// <summary>Checks the resolved run before anything is loaded (e.g. GRPO needs reward functions off the embedded default).</summary>
    protected virtual void CheckRun(TrainingRun run, TConfig config) { }

    /// <summary>Runs after training, before the model is reported saved.</summary>
    protected virtual void AfterTraining(TrainingRun run, TrainerSession<TExample> session, ITextTokenizer tokenizer, TextWriter output) { }

    /// <summary>Runs before training (e.g. a baseline measurement).</summary>
    protected virtual void BeforeTraining(TrainingRun run, TrainerSession<TExample> session, ITextTokenizer tokenizer, TextWriter output) { }

    /// <inheritdoc />
    public override int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, Name, new TConfig(), output, ExtraFields, EmbeddedDefaults())) return ExitCodes.Success;
        TakeArguments(args);
        var (run, config) = TrainingRun.Resolve(args, Name, new TConfig(), EmbeddedDefaults(), EmbeddedDataset, ExtraFields.Select(f => f.Key));
        CheckRun(run, config);
        if (Experimental) ExperimentalNotice.Write(output, Name, PackageId);
        if (Deprecation is { } why) output.WriteLine($"trl {Name}: deprecated — {why}");
        foreach (var notice in run.Notices) output.WriteLine(notice);
        var tokenizer = run.LoadTokenizer();
        var preparer = CreatePreparer(tokenizer, config);
        var policy = config.BadRows == "skip" ? BadRowPolicy.Skip : BadRowPolicy.Error;
        var data = run.Tokenize(Name, config, rows => preparer.Prepare(rows, policy), out var origin);
        if (data.Examples.Count == 0)
            throw new InvalidDataException($"{run.DatasetPath}: no usable example ({data.SkippedRows} bad rows skipped, {data.DroppedRows} dropped).");
        string details = Describe(config);
        output.WriteLine($"trl {Name}: {data.Examples.Count} examples from {run.DatasetPath} ({data.SkippedRows} bad rows skipped, {data.DroppedRows} dropped{origin})" +
            $"{(details.Length > 0 ? "; " + details : "")}; output {config.OutputDir}");
        using var session = CreateTrainer(run, config, tokenizer, data.Examples, output);
        TrainingRun.CheckVocabulary(tokenizer, session.Model, run.TokenizerPath);
        session.Trainer.EvalDataset = run.TokenizeEval(Name, config, rows => preparer.Prepare(rows, policy).Examples);
        BeforeTraining(run, session, tokenizer, output);
        if (!run.Train(session.Trainer, session.Model, config, output)) return ExitCodes.Interrupted;
        AfterTraining(run, session, tokenizer, output);
        output.WriteLine($"saved model to {Path.GetFullPath(config.OutputDir)}");
        return ExitCodes.Success;
    }
}

/// <summary>A trainer with the model it trains (saved at the end) and everything it owns (models, reward models),
/// disposed together.</summary>
internal sealed class TrainerSession<TExample>(Trainer<TExample> trainer, PretrainedModel model, params IDisposable?[] owned) : IDisposable
{
    public Trainer<TExample> Trainer { get; } = trainer;
    public PretrainedModel Model { get; } = model;

    public void Dispose()
    {
        Trainer.Dispose();
        foreach (var o in owned) o?.Dispose();
        Model.Dispose();
    }
}
