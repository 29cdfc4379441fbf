using Trl.Data;
using Trl.Cli.Arguments;
using Trl.Modeling;
using Trl.Reward;

namespace Trl.Cli.Commands;

/// <summary><c>trl reward</c>: trains a one-output sequence classifier on preference pairs. The embedded default
/// learns to score correct reversals above wrong ones.</summary>
internal static class RewardCommand
{
    static RewardConfig EmbeddedDefaults() => TrainingRun.EmbeddedPreset(new RewardConfig { MaxLength = 64 }, "reward");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "reward", new RewardConfig(), output)) return ExitCodes.Success;
        var (run, config) = TrainingRun.Resolve(args, "reward", new RewardConfig(), EmbeddedDefaults(), "preference.jsonl");
        var tokenizer = run.LoadTokenizer();
        using var model = run.Embedded ? NewRewardModel(run.EmbeddedModelConfig(), config.Seed) : SequenceClassifier.FromPretrained(run.ModelPath!, allowNewHead: true);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        var preparer = new RewardDatasetPreparer(tokenizer, config);
        List<PreferenceExample> Prepare(IEnumerable<DatasetRow> rows) => preparer.Prepare(rows).ToList();
        var pairs = run.Tokenize("reward", config, Prepare, out var origin);
        output.WriteLine($"trl reward: {pairs.Count} pairs from {run.DatasetPath} ({preparer.Dropped} dropped as longer than max_length{origin}); output {config.OutputDir}");
        using var trainer = new RewardTrainer(model, config, pairs, tokenizer.Special.PadTokenId ?? 0) { EvalDataset = run.TokenizeEval("reward", config, Prepare) };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }

    static SequenceClassifier NewRewardModel(ModelConfig lm, long seed)
    {
        var raw = (System.Text.Json.Nodes.JsonObject)lm.Raw.DeepClone();
        raw["num_labels"] = 1;
        raw["architectures"] = new System.Text.Json.Nodes.JsonArray("Qwen2ForSequenceClassification");
        TorchSharp.torch.manual_seed(seed);
        return new SequenceClassifier(ModelConfig.FromJson(raw));
    }
}
