using System.Text;
using Trl.Cli.Arguments;
using Trl.Cli.Commands;

namespace Trl.Cli;

/// <summary>Dispatches <c>trl &lt;command&gt;</c>. Errors print one line and return a non-zero exit code.</summary>
internal static class CliApp
{
    static readonly (string Name, string Summary)[] ToolCommands =
    [
        ("generate", "generate from a checkpoint"),
        ("merge", "fold a LoRA adapter into its base model (a plain HF folder)"),
        ("chat-template", "print what a chat template renders for a conversation"),
        ("env", "versions, device and native backend status"),
    ];

    static string Usage()
    {
        var sb = new StringBuilder("usage: trl <command> [--config file.yaml] [--field value ...]\n\ncommands:\n");
        foreach (var c in TrainerCommands.All.Where(c => !c.Experimental)) sb.AppendLine($"  {c.Name,-11} {c.Summary} ({c.PackageId})");
        sb.AppendLine("\nexperimental (prerelease trainer packages; options and results may change):");
        foreach (var c in TrainerCommands.All.Where(c => c.Experimental))
            sb.AppendLine($"  {c.Name,-11} {c.Summary} ({c.PackageId}{(c.Deprecation is null ? "" : ", deprecated")})");
        sb.AppendLine();
        foreach (var (name, summary) in ToolCommands) sb.AppendLine($"  {name,-13} {summary}");
        sb.AppendLine("\ntrl <command> --help lists every field with its default.");
        sb.Append("With no --model_name_or_path / --dataset_name, each trainer runs on the embedded tiny model and string-reversal data.");
        return sb.ToString();
    }

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // The tool prints its own report (ConsoleReporter); the trainers' default console log would repeat it.
        Trl.Training.TrainingLog.Default = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            output.WriteLine(Usage());
            return args.Length == 0 ? ExitCodes.BadConfig : ExitCodes.Success;
        }
        try
        {
            var rest = CliArguments.Parse(args[1..]);
            if (TrainerCommands.Create(args[0]) is { } trainer) return trainer.Run(rest, output);
            return args[0] switch
            {
                "generate" => GenerateCommand.Run(rest, output),
                "chat-template" => ChatTemplateCommand.Run(rest, output),
                "merge" => MergeCommand.Run(rest, output),
                "env" => EnvCommand.Run(output),
                _ => throw new CliException($"unknown command '{args[0]}'" +
                    (Arguments.ConfigBinder.Closest(args[0], TrainerCommands.All.Select(c => c.Name).Concat(ToolCommands.Select(t => t.Name))) is { } near ? $"; did you mean '{near}'?" : "") +
                    $" (commands: {string.Join(", ", TrainerCommands.All.Select(c => c.Name).Concat(ToolCommands.Select(t => t.Name)))})."),
            };
        }
        catch (CliException e) { return Fail(error, e.Message, ExitCodes.BadConfig); }
        catch (Trl.Hub.HubException e) { return Fail(error, e.Message, ExitCodes.HubError); }
        catch (ArgumentException e) { return Fail(error, e.Message, ExitCodes.BadConfig); }
        catch (FileNotFoundException e) { return Fail(error, e.Message, ExitCodes.MissingFile); }
        catch (DirectoryNotFoundException e) { return Fail(error, e.Message, ExitCodes.MissingFile); }
        catch (InvalidDataException e) { return Fail(error, e.Message, ExitCodes.BadData); }
        catch (System.Text.Json.JsonException e) { return Fail(error, $"invalid JSON: {e.Message}", ExitCodes.BadData); }
        catch (Trl.Tokenization.ChatTemplateException e) { return Fail(error, $"chat template: {e.Message}", ExitCodes.BadData); }
        catch (NotSupportedException e) { return Fail(error, e.Message, ExitCodes.BadConfig); }
        catch (Trl.Training.NumericalInstabilityException e)
        {
            return Fail(error, e.Message + (e.Checkpoint is { } c ? $" The last good state is saved in {c}." : ""), ExitCodes.NumericalFailure);
        }
        catch (UnauthorizedAccessException e) { return Fail(error, $"cannot write: {e.Message}", ExitCodes.OutputError); }
        catch (IOException e) { return Fail(error, $"I/O error: {e.Message}", ExitCodes.OutputError); }
        catch (System.Runtime.InteropServices.ExternalException e) { return Fail(error, $"the model could not run on this input (libtorch: {e.Message})", ExitCodes.BadData); }
        catch (OutOfMemoryException) { return Fail(error, "out of memory (reduce per_device_train_batch_size or max_length)", ExitCodes.Failure); }
        catch (Exception e) when (e is not StackOverflowException)
        {
            return Fail(error, $"unexpected {e.GetType().Name}: {e.Message} (please report this with the command line)", ExitCodes.Failure);
        }
    }

    /// <summary>One line, whatever the message holds (libtorch's carry their C++ stack on further lines).</summary>
    static int Fail(TextWriter error, string message, int code)
    {
        var line = message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        error.WriteLine($"trl: error: {line}");
        return code;
    }
}
