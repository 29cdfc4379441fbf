using Trl.Training;

namespace Trl.Cli.Tests;

/// <summary>A NaN/Inf loss or gradient stops training at the step it appears (never trained on), with exit code 6,
/// the step named, and the last good state saved as a complete checkpoint.</summary>
public class NumericalFailureTests
{
    [Test]
    public void ANonFiniteStepStopsTrainingAndKeepsTheLastGoodState()
    {
        var dir = CliRunner.TempDir();
        // A learning rate this large sends the weights to ±Inf in the first update: the next loss is NaN.
        var (code, _, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", "10", "--learning_rate", "1e30", "--logging_steps", "1", "--save_steps", "0");
        Assert.That(code, Is.EqualTo(6), error);
        Assert.That(error, Does.Match(@"trl: error: step \d+: the loss .* is not finite").And.Contain("last good state is saved in"));
        var (checkpoint, step) = CheckpointFolders.List(dir)[0];
        Assert.That(CheckpointFolders.Problem(checkpoint), Is.Null);
        Assert.That(error, Does.Contain($"step {step + 1}:"), "the failing step follows the saved one");
        Assert.That(File.ReadAllText(Path.Combine(checkpoint, "trainer_state.json")), Does.Contain("global_step"), "NaN metrics never break trainer_state.json");
    }
}
