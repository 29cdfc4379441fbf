using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Gkd;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl gkd</c>: distils <c>--teacher_model_name_or_path</c> into the model on messages or prompt/completion
/// rows. The embedded default distils a tiny model of the same shape from another seed into the embedded student (the
/// JSD falls; it shows the mechanism, not a useful teacher).</summary>
internal sealed class GkdCommand : TrainerCommand<GkdConfig, GkdExample>
{
    string? _teacher;

    public override string Name => "gkd";
    public override string Summary => "generalized knowledge distillation from a teacher, on-policy with probability lmbda";
    public override string PackageId => "Trl.Experimental.Gkd";
    protected override string EmbeddedDataset => "train.jsonl";

    public override IEnumerable<(string Key, string Default, string Help)> ExtraFields =>
    [
        ("teacher_model_name_or_path", "a tiny model from another seed on the embedded default", "the teacher's model folder (same vocabulary as the student)"),
    ];

    protected override GkdConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-gkd-output", LearningRate = 3e-3, MaxSteps = 60, PerDeviceTrainBatchSize = 16, MaxNewTokens = 12, MaxLength = 64,
        LrSchedulerType = "constant", LoggingSteps = 10, SaveSteps = 0, Seed = 0,
    };

    protected override void TakeArguments(CliArguments args) => _teacher = args.Take("teacher_model_name_or_path");

    protected override string Describe(GkdConfig config) => $"beta {config.Beta}, lmbda {config.Lmbda}{(config.SeqKd ? ", seq_kd" : "")}";

    protected override DatasetPreparer<GkdExample> CreatePreparer(ITextTokenizer tokenizer, GkdConfig config) => new GkdDatasetPreparer(tokenizer, config);

    protected override TrainerSession<GkdExample> CreateTrainer(TrainingRun run, GkdConfig config, ITextTokenizer tokenizer, IReadOnlyList<GkdExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        var teacher = run.LoadTeacher(_teacher, config.Seed);
        var eos = tokenizer.Special.EosTokenId is long e ? model.Config.EosTokenIds.Append(e).Distinct().ToArray() : model.Config.EosTokenIds;
        return new(new GkdTrainer(model, teacher, config, examples, TrainingRun.PadTokenId(tokenizer), eos), model, teacher);
    }
}
