using Trl.Data;
using Trl.NashMd;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl nash-md</c>: Nash mirror descent, policy samples against geometric-mixture samples.</summary>
internal sealed class NashMdCommand : OnlineTrainerCommand<NashMdConfig>
{
    public override string Name => "nash-md";
    public override string Summary => "Nash mirror descent, policy samples against geometric-mixture samples";
    public override string PackageId => "Trl.Experimental.NashMd";

    protected override double EmbeddedRewardScale => 10.0;

    protected override NashMdConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-nash-md-output", LearningRate = 3e-3, MaxSteps = 300, PerDeviceTrainBatchSize = 64, MaxNewTokens = 12, Temperature = 1.0,
        LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    protected override string Describe(NashMdConfig config) => $"beta {string.Join("/", config.Beta)}, mixture_coef {string.Join("/", config.MixtureCoef)}";

    protected override DatasetPreparer<PromptExample> CreatePreparer(ITextTokenizer tokenizer, NashMdConfig config) => new NashMdDatasetPreparer(tokenizer);

    protected override TrainerSession<PromptExample> CreateTrainer(TrainingRun run, NashMdConfig config, ITextTokenizer tokenizer, IReadOnlyList<PromptExample> examples, TextWriter output)
    {
        var rewards = ResolveRewards(config.MaxNewTokens, output);
        var model = run.LoadCausalLM(config.Seed);
        var reference = run.LoadReference(config.Seed, config);
        var trainer = new NashMdTrainer(model, reference, config, examples, tokenizer, rewards);
        trainer.SamplesGenerated += samples => PrintSamples(samples, output);
        return new(trainer, model, [reference, .. rewards.OfType<IDisposable>()]);
    }
}
