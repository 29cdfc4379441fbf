using System.Text.Json.Nodes;
using Trl.Testing;

namespace Trl.Cli.Tests;

/// <summary>--bad_rows skip in every trainer: unparsable lines, rows that are not objects, rows without the trainer's
/// fields and rows with a type confusion are all skipped and counted (the printed count is the real one), and a later
/// --bad_rows error run on the same output_dir does not pass through the cache of the skip run.</summary>
public class BadRowsTests
{
    public static IEnumerable<TestCaseData> Trainers() => new (string Command, string Data, string[] Extra)[]
    {
        ("sft", "train.jsonl", []),
        ("dpo", "preference.jsonl", []),
        ("reward", "preference.jsonl", []),
        ("cpo", "preference.jsonl", []),
        ("orpo", "preference.jsonl", []),
        ("kto", "unpaired.jsonl", []),
        ("bco", "unpaired.jsonl", []),
        ("prm", "stepwise.jsonl", []),
        ("grpo", "prompts.jsonl", ["--reward_funcs", "accuracy_reward", "--num_generations", "2", "--max_completion_length", "4", "--per_device_train_batch_size", "2"]),
    }.Select(t => new TestCaseData(t.Command, t.Data, t.Extra).SetName($"BadRowsSkipped({t.Command})"));

    [TestCaseSource(nameof(Trainers))]
    public void BadRowsAreSkippedAndCountedInEveryTrainer(string command, string data, string[] extra)
    {
        var dir = CliRunner.TempDir();
        Directory.CreateDirectory(dir);
        var good = File.ReadLines(Fixtures.EmbeddedDefault(data)).Take(16).ToList();
        var confused = JsonNode.Parse(good[0])!.AsObject();
        confused["prompt"] = 5;                                   // a number where text belongs
        var lines = new List<string>(good);
        lines.Insert(3, "{\"prompt\": \"unterminated");           // not JSON
        lines.Insert(5, "[1, 2, 3]");                             // not an object
        lines.Insert(7, "{}");                                    // none of the trainer's fields
        lines.Insert(9, confused.ToJsonString());
        var dataset = Path.Combine(dir, data);
        File.WriteAllLines(dataset, lines);
        string[] Args(string policy) => [command, "--model_name_or_path", Fixtures.Trl2("models", "qwen2_tiny"), "--tokenizer_name_or_path", Fixtures.Trl("tokenizer"),
            "--dataset_name", dataset, "--output_dir", Path.Combine(dir, "out"), "--max_steps", "1", "--bad_rows", policy, .. extra];

        var (code, output, error) = CliRunner.Run(Args("skip"));
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain($"{good.Count} examples").Or.Contain("4 bad rows skipped"), output);
        Assert.That(output, Does.Contain("(4 bad rows skipped"), output);

        (code, _, error) = CliRunner.Run(Args("error"));
        Assert.That(code, Is.EqualTo(3), "the error policy is not served from the skip run's cache");
        Assert.That(error, Does.Contain(data).And.Contain("4"), error);
    }
}
