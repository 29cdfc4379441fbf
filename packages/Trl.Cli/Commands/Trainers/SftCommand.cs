using Trl.Data;
using Trl.Generation;
using Trl.Modeling;
using Trl.Sft;
using Trl.Tokenization;

namespace Trl.Cli.Commands.Trainers;

/// <summary><c>trl sft</c>: supervised fine-tuning. With no model and no dataset it trains the embedded tiny model on
/// the embedded string-reversal task and reports held-out exact match before and after.</summary>
internal sealed class SftCommand : TrainerCommand<SftConfig, SftExample>
{
    double? _before;

    public override string Name => "sft";
    public override string Summary => "supervised fine-tuning";
    public override string PackageId => "Trl.Sft";
    protected override string EmbeddedDataset => "train.jsonl";

    protected override SftConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-sft-output", LearningRate = 3e-3, MaxSteps = 500, PerDeviceTrainBatchSize = 32,
        LoggingSteps = 25, SaveSteps = 0, WarmupRatio = 0.05, Seed = 42, MaxLength = 64,
    };

    protected override DatasetPreparer<SftExample> CreatePreparer(ITextTokenizer tokenizer, SftConfig config) => new SftDatasetPreparer(tokenizer, config);

    protected override TrainerSession<SftExample> CreateTrainer(TrainingRun run, SftConfig config, ITextTokenizer tokenizer, IReadOnlyList<SftExample> examples, TextWriter output)
    {
        var model = run.LoadCausalLM(config.Seed);
        return new(new SftTrainer(model, config, examples, TrainingRun.PadTokenId(tokenizer)), model);
    }

    protected override void BeforeTraining(TrainingRun run, TrainerSession<SftExample> session, ITextTokenizer tokenizer, TextWriter output) =>
        _before = run.Embedded ? ReversalAccuracy((CausalLM)session.Model, tokenizer, run.EmbeddedDir!) : null;

    protected override void AfterTraining(TrainingRun run, TrainerSession<SftExample> session, ITextTokenizer tokenizer, TextWriter output)
    {
        if (_before is not double before) return;
        double after = ReversalAccuracy((CausalLM)session.Model, tokenizer, run.EmbeddedDir!);
        output.WriteLine($"held-out reversal exact match: {before:P0} before training -> {after:P0} after");
    }

    /// <summary>Greedy exact-match accuracy on the embedded held-out reversal prompts: the task is verifiable.</summary>
    static double ReversalAccuracy(CausalLM model, ITextTokenizer tokenizer, string dir)
    {
        var rows = DatasetLoader.Read(Path.Combine(dir, "test.jsonl")).ToList();
        var prompts = rows.Select(r => tokenizer.Encode(r.GetString("prompt"))).ToList();
        long eos = tokenizer.Special.EosTokenId ?? 1;
        var result = new TextGenerator(model).Generate(prompts, new GenerationOptions
        {
            DoSample = false, MaxNewTokens = 8, EosTokenIds = new[] { eos }, PadTokenId = tokenizer.Special.PadTokenId ?? 0,
        });
        int correct = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var expected = tokenizer.Encode(rows[i].GetString("completion")).ToList();
            if (result.CompletionIds[i].Where(id => id != eos).SequenceEqual(expected)) correct++;
        }
        return (double)correct / rows.Count;
    }
}
