using Trl.Cli.Arguments;
using Trl.Grpo;
using Trl.Grpo.Rewards;
using Trl.Modeling;

namespace Trl.Cli.Commands;

/// <summary><c>trl grpo</c>: online RL from prompts and reward functions (<c>--reward_funcs</c>: built-in names or
/// reward-model folders; <c>--reward_model_name_or_path</c> as in TRL's script). The embedded default rewards reversals
/// of the prompt by their similarity to the solution column.</summary>
internal static class GrpoCommand
{
    static GrpoConfig EmbeddedDefaults() => new()
    {
        OutputDir = "trl-grpo-output", LearningRate = 3e-3, MaxSteps = 200, PerDeviceTrainBatchSize = 64, NumGenerations = 8,
        MaxCompletionLength = 12, LrSchedulerType = "constant", LoggingSteps = 20, SaveSteps = 0, Seed = 0,
    };

    public static readonly (string Key, string Default, string Help)[] Fields =
    {
        ("reward_funcs", "similarity_reward on the embedded default", $"reward functions: {string.Join(", ", RewardFunctions.BuiltIn)}, or reward-model folders"),
        ("reward_model_name_or_path", "None", "a reward-model folder (sequence classifier) added to reward_funcs"),
    };

    static string Clip(string text) => (text.Length > 60 ? text[..57] + "..." : text).ReplaceLineEndings(" ");

    public static int Run(CliArguments args, TextWriter output)
    {
        if (TrainingRun.Help(args, "grpo", new GrpoConfig(), output, Fields)) return ExitCodes.Success;
        var rewardNames = args.Values.Remove("reward_funcs", out var names) ? names : new List<string>();
        if (args.Take("reward_model_name_or_path") is { } rewardModel) rewardNames.Add(rewardModel);
        var (run, config) = TrainingRun.Resolve(args, "grpo", new GrpoConfig(), EmbeddedDefaults(), "prompts.jsonl");
        if (rewardNames.Count == 0)
        {
            if (!run.Embedded) throw new CliException("trl grpo needs --reward_funcs (or --reward_model_name_or_path).");
            rewardNames.Add("similarity_reward");
        }
        var rewards = rewardNames.Select(n => RewardFunctions.Resolve(n, config)).ToList();
        var tokenizer = run.LoadTokenizer();
        using var model = run.LoadCausalLM(config.Seed);
        // A reference model only when the KL term needs one (TRL skips it at beta 0).
        using var reference = config.Beta == 0.0 ? null : run.LoadCausalLM(config.Seed);
        TrainingRun.CheckVocabulary(tokenizer, model, run.TokenizerPath);
        int skipped = 0;
        List<GrpoPrompt> Prepare(IEnumerable<Trl.Data.DatasetRow> rows) => new GrpoDatasetPreparer(tokenizer, config).PrepareAll(rows, null, out skipped);
        var prompts = run.Tokenize("grpo", config, Prepare, out var origin);
        output.WriteLine($"trl grpo: {prompts.Count} prompts from {run.DatasetPath} ({skipped} bad rows skipped{origin}); {config.NumGenerations} generations each, " +
            $"loss {config.LossType}, beta {config.Beta}, rewards {string.Join(", ", rewards.Select(r => r.Name))}; output {config.OutputDir}");
        using var trainer = new GrpoTrainer(model, reference, config, prompts, tokenizer, rewards) { EvalDataset = run.TokenizeEval("grpo", config, Prepare) };
        trainer.SamplesGenerated += samples =>
        {
            foreach (var s in samples)
                output.WriteLine($"  sample @ step {s.Step}: {Clip(s.Prompt)} -> {Clip(s.Completion)}  [{string.Join(", ", s.Rewards.Select(r => $"{r.Key} {r.Value:G3}"))}]");
        };
        run.Train(trainer, model, config, output);
        return ExitCodes.Success;
    }
}
