using System.Text.Json.Nodes;

namespace Trl.Cli.Tests;

/// <summary>The online subcommands take a TRL user's configs as they are: PPO's total_episodes sets the run length
/// (ceil(episodes / rollout batch) rollouts × num_ppo_epochs steps), script-only keys are accepted, removed features
/// (judges) are refused with one line, and PPO saves the value model beside the policy.</summary>
public class OnlineTrainerCommandTests
{
    [Test]
    public void PpoReadsTotalEpisodesAcceptsScriptKeysAndSavesTheValueModel()
    {
        var dir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run("ppo", "--output_dir", dir, "--max_steps", "-1", "--total_episodes", "100", "--per_device_train_batch_size", "16",
            "--gradient_accumulation_steps", "2", "--num_ppo_epochs", "2", "--response_length", "6", "--sft_model_path", "unused",
            "--local_rollout_forward_batch_size", "4", "--num_sample_generations", "0");
        Assert.That(code, Is.EqualTo(0), error);
        // 100 episodes / 32 prompts per rollout → 4 rollouts × 2 PPO epochs.
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "trainer_state.json")))!["global_step"]!.GetValue<int>(), Is.EqualTo(8));
        Assert.That(File.Exists(Path.Combine(dir, "value_model", "model.safetensors")), Is.True, "the value model is saved with the policy");
    }

    [Test]
    public void JudgesAreRefusedInOneLine()
    {
        var (code, _, error) = CliRunner.Run("online-dpo", "--judge", "pairrm", "--max_steps", "1", "--output_dir", CliRunner.TempDir());
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.Trim(), Does.Contain("judges were removed upstream").And.Not.Contain("\n"));
    }
}
