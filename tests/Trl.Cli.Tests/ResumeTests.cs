using Trl.Testing;
using Trl.Training;

namespace Trl.Cli.Tests;

/// <summary>Resuming is bit-identical in every trainer: a run resumed from its step-2 checkpoint ends with the same
/// weights (byte for byte) and logs the same steps 3 and 4 as the run that was never stopped — data order, optimizer
/// moments, sampling RNG and running baselines included; metrics.jsonl is not duplicated; a checkpoint that lost a
/// file is refused instead of silently resetting the optimizer; resume_from_checkpoint true finds the newest one.</summary>
public class ResumeTests
{
    public static IEnumerable<TestCaseData> Trainers() =>
        new[] { "sft", "dpo", "reward", "kto", "cpo", "orpo", "bco", "prm", "grpo", "rloo", "online-dpo", "xpo", "nash-md", "gkd", "ppo" }.Select(c => new TestCaseData(c, Array.Empty<string>()).SetName($"ResumeIsBitIdentical({c})"))
            .Append(new TestCaseData("sft", new[] { "--bf16", "true" }).SetName("ResumeIsBitIdentical(sft, bf16 mixed precision)"))
            .Append(new TestCaseData("dpo", new[] { "--use_peft", "true", "--lora_r", "4" }).SetName("ResumeIsBitIdentical(dpo, LoRA)"));

    static string[] Args(string command, string outDir, params string[] extra) =>
        [command, "--output_dir", outDir, "--max_steps", "4", "--logging_steps", "1", "--save_steps", "2", "--per_device_train_batch_size", "4",
         .. command switch
         {
             "grpo" or "rloo" => new[] { "--num_generations", "2", "--max_completion_length", "6" },
             "online-dpo" or "xpo" or "nash-md" or "gkd" => new[] { "--max_new_tokens", "6" },
             "ppo" => new[] { "--response_length", "6", "--num_ppo_epochs", "2" },
             _ => [],
         }, .. extra];

    static string Weights(string dir) => File.Exists(Path.Combine(dir, "model.safetensors")) ? "model.safetensors" : "adapter_model.safetensors";

    [TestCaseSource(nameof(Trainers))]
    public void ResumeIsBitIdentical(string command, string[] options)
    {
        var straight = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run(Args(command, straight, options));
        Assert.That(code, Is.EqualTo(0), error);
        var checkpoint = Path.Combine(straight, "checkpoint-2");
        Assert.That(CheckpointFolders.Problem(checkpoint), Is.Null);

        var resumed = CliRunner.TempDir();
        Directory.CreateDirectory(resumed);
        File.WriteAllLines(Path.Combine(resumed, "metrics.jsonl"), File.ReadLines(Path.Combine(straight, "metrics.jsonl")));   // as left by the first run
        (code, _, error) = CliRunner.Run(Args(command, resumed, [.. options, "--resume_from_checkpoint", checkpoint]));
        Assert.That(code, Is.EqualTo(0), error);

        Assert.That(File.ReadAllBytes(Path.Combine(resumed, Weights(resumed))), Is.EqualTo(File.ReadAllBytes(Path.Combine(straight, Weights(straight)))), "final weights");
        var expected = File.ReadAllLines(Path.Combine(straight, "metrics.jsonl"));
        var actual = File.ReadAllLines(Path.Combine(resumed, "metrics.jsonl"));
        Assert.That(actual, Is.EqualTo(expected), "metrics.jsonl: steps 1–2 kept once, steps 3–4 logged identically");
    }

    [Test]
    public void AnIncompleteCheckpointIsRefusedAndTrueResumesTheNewestCompleteOne()
    {
        var dir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", "3", "--save_steps", "1", "--logging_steps", "1");
        Assert.That(code, Is.EqualTo(0), error);
        File.Delete(Path.Combine(dir, "checkpoint-2", "optimizer.safetensors"));

        (code, _, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", "3", "--resume_from_checkpoint", Path.Combine(dir, "checkpoint-2"));
        Assert.That(code, Is.EqualTo(3), error);
        Assert.That(error, Does.Contain("optimizer.safetensors is missing"));

        // true: the newest complete checkpoint (2 is broken, 1 is whole), as transformers' get_last_checkpoint.
        Assert.That(CheckpointFolders.Latest(dir), Is.EqualTo(Path.Combine(dir, "checkpoint-1")));
        (code, var output, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", "3", "--resume_from_checkpoint", "true", "--logging_steps", "1");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!["step"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2, 3 }));
    }
}
