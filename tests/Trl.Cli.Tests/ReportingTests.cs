using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Tensorboard;
using Trl.Training;

namespace Trl.Cli.Tests;

/// <summary>report_to as transformers reads it: tensorboard writes real event files (TFRecord framing with valid
/// CRC-32C, transformers' tags, the values of metrics.jsonl, GRPO's sampled completions as text); integrations that do
/// not exist here, and settings accepted without effect, each print one notice instead of passing silently.</summary>
public class ReportingTests
{
    /// <summary>Reads an event file the way TensorBoard does, checking both CRCs of every record.</summary>
    static List<Event> ReadEvents(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var events = new List<Event>();
        for (int at = 0; at < bytes.Length;)
        {
            var length = bytes.AsSpan(at, 8);
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8, 4)), Is.EqualTo(TensorBoardWriter.MaskedCrc(length)), "length CRC");
            int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(length);
            var data = bytes.AsSpan(at + 12, n);
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + n, 4)), Is.EqualTo(TensorBoardWriter.MaskedCrc(data)), "data CRC");
            events.Add(Event.Parser.ParseFrom(data.ToArray()));
            at += 12 + n + 4;
        }
        return events;
    }

    [Test]
    public void Report_to_tensorboard_writes_event_files_with_transformers_tags_and_the_logged_values()
    {
        var dir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run("sft", "--output_dir", dir, "--max_steps", "4", "--logging_steps", "2", "--report_to", "tensorboard");
        Assert.That(code, Is.EqualTo(0), error);
        var file = Directory.GetFiles(Path.Combine(dir, "runs"), "events.out.tfevents.*", SearchOption.AllDirectories).Single();
        Assert.That(Path.GetFileName(Path.GetDirectoryName(file)), Does.Match(@"^[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_"), "runs/MonDD_HH-MM-SS_host");
        var events = ReadEvents(file);
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
        var args = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).Single(v => v.Tag == "args/text_summary");
        Assert.That(args.Tensor.StringVal[0].ToStringUtf8(), Does.Contain("\"learning_rate\": 0.003").And.Contain("\"report_to\""), "the run's arguments, TRL's names");
        var scalars = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag, v.SimpleValue))).ToList();
        Assert.That(scalars.Select(s => s.Tag).Distinct(), Is.SupersetOf(new[] { "train/loss", "train/learning_rate", "train/grad_norm", "train/epoch", "train/mean_token_accuracy" }));
        var logged = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        foreach (var line in logged)
        {
            long step = line["step"]!.GetValue<long>();
            var loss = scalars.Single(s => s.Tag == "train/loss" && s.Step == step).SimpleValue;
            Assert.That(loss, Is.EqualTo((float)line["loss"]!.GetValue<double>()), $"train/loss at step {step}");
        }
    }

    [Test]
    public void Grpo_samples_go_to_tensorboard_as_a_text_table()
    {
        var dir = CliRunner.TempDir();
        var (code, _, error) = CliRunner.Run("grpo", "--output_dir", dir, "--max_steps", "2", "--logging_steps", "1", "--report_to", "all", "--log_completions", "true", "--num_completions_to_print", "2");
        Assert.That(code, Is.EqualTo(0), error);
        var events = ReadEvents(Directory.GetFiles(Path.Combine(dir, "runs"), "events.out.tfevents.*", SearchOption.AllDirectories).Single());
        var text = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).First(v => v.Tag == "completions/text_summary");
        Assert.That(text.Metadata.PluginData.PluginName, Is.EqualTo("text"));
        Assert.That(text.Tensor.StringVal[0].ToStringUtf8(), Does.StartWith("| step | prompt | completion |"));
        Assert.That(events.SelectMany(e => e.Summary?.Value ?? []).Select(v => v.Tag), Does.Contain("train/reward"));
    }

    [Test]
    public void Log_lines_fit_a_terminal_and_say_where_the_rest_is()
    {
        var dir = CliRunner.TempDir();
        var (code, output, error) = CliRunner.Run("grpo", "--output_dir", dir, "--max_steps", "2", "--logging_steps", "1");
        Assert.That(code, Is.EqualTo(0), error);
        var steps = output.Split('\n').Where(l => l.StartsWith("[ ", StringComparison.Ordinal)).ToList();
        Assert.That(steps, Has.Count.EqualTo(2));
        Assert.That(steps, Has.All.Length.LessThanOrEqualTo(120), string.Join("\n", steps));
        Assert.That(steps[0], Does.Contain("loss ").And.Contain("in metrics.jsonl)"));
        var record = new LogRecord { ["grad_norm"] = 1, ["zeta"] = 2, ["loss"] = 0.5, ["learning_rate"] = 1e-5 };
        Assert.That(Commands.ConsoleReporter.Metrics(record, 200), Is.EqualTo("loss 0.5  grad_norm 1  learning_rate 1E-05  zeta 2"), "headline metrics first");
        Assert.That(Commands.ConsoleReporter.Metrics(record, 45), Is.EqualTo("loss 0.5  grad_norm 1  (+2 in metrics.jsonl)"));
        Assert.That(Commands.ConsoleReporter.Metrics(record, 10), Is.EqualTo("loss 0.5  (+3 in metrics.jsonl)"), "the headline metric always shows");
    }

    [Test]
    public void Curves_are_smoothed_as_tensorboard_smooths()
    {
        // TensorBoard: last = last·w + (1−w)·v, debiased by 1 − w^(i+1).
        var s = Plotting.TrainingCurves.Smoothed([1.0, 0.0, 0.0], 0.6);
        Assert.That(s[0], Is.EqualTo(1.0).Within(1e-12));
        Assert.That(s[1], Is.EqualTo(0.24 / 0.64).Within(1e-12));
        Assert.That(s[2], Is.EqualTo(0.144 / 0.784).Within(1e-12));
    }

    [Test]
    public void Unavailable_integrations_and_ignored_settings_each_print_one_notice()
    {
        var dir = CliRunner.TempDir();
        var (code, output, error) = CliRunner.Run("dpo", "--output_dir", dir, "--max_steps", "1", "--report_to", "wandb", "--dataloader_num_workers", "4", "--attn_implementation", "flash_attention_2");
        Assert.That(code, Is.EqualTo(0), error);
        var notices = output.Split('\n').Where(l => l.StartsWith("notice:", StringComparison.Ordinal)).ToList();
        Assert.That(notices, Has.Count.EqualTo(3), output);
        Assert.That(notices, Has.One.Contains("report_to wandb: this integration is not available").And.Contains("metrics.jsonl"));
        Assert.That(notices, Has.One.Contains("dataloader_num_workers=4 is accepted but has no effect"));
        Assert.That(notices, Has.One.Contains("attn_implementation=flash_attention_2"));
        Assert.That(Directory.Exists(Path.Combine(dir, "runs")), Is.False, "no TensorBoard files without report_to tensorboard");
    }

    [Test]
    public void An_unknown_key_suggests_the_closest_field()
    {
        var (code, _, error) = CliRunner.Run("dpo", "--output_dir", CliRunner.TempDir(), "--beta_", "0.2");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("unknown field 'beta_' for 'trl dpo'; did you mean 'beta'?"));
        (code, _, error) = CliRunner.Run("sft", "--lerning_rate", "1e-4");
        Assert.That(error, Does.Contain("did you mean 'learning_rate'?"));
        (code, _, error) = CliRunner.Run("sft", "--completely_unrelated_thing", "1");
        Assert.That(error, Does.Not.Contain("did you mean"));
        (code, _, error) = CliRunner.Run("rlo");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("unknown command 'rlo'; did you mean 'rloo'?"));
    }

    [Test]
    public void Help_describes_every_field_and_says_what_a_bare_run_uses()
    {
        var (code, help, _) = CliRunner.Run("sft", "--help");
        Assert.That(code, Is.EqualTo(0));
        var fields = help.Split('\n').Where(l => l.StartsWith("  --", StringComparison.Ordinal)).ToList();
        Assert.That(fields, Has.Count.GreaterThan(40));
        var undocumented = fields.Where(l => l.Split("(default:")[0].Trim().Split(' ', 2).Length < 2).ToList();
        Assert.That(undocumented, Is.Empty, "every field has a one-line description");
        Assert.That(fields.Single(l => l.StartsWith("  --learning_rate ", StringComparison.Ordinal)), Does.Contain("(default: 2E-05; a bare run uses 0.003)"));
        Assert.That(fields.Single(l => l.StartsWith("  --lr_scheduler_kwargs ", StringComparison.Ordinal)), Does.Contain("(default: {})"));
    }
}
