using Trl.Cli.Arguments;
using Trl.Cli.Commands;

namespace Trl.Cli;

/// <summary>Dispatches <c>trl &lt;command&gt;</c>. Errors print one line and return a non-zero exit code.</summary>
internal static class CliApp
{
    const string Usage = """
        usage: trl <command> [--config file.yaml] [--field value ...]

        commands:
          sft         supervised fine-tuning (Trl.Sft)
          dpo         direct preference optimization (Trl.Dpo)
          reward      reward modelling (Trl.Reward)
          grpo        group relative policy optimization, online RL with reward functions (Trl.Grpo)

        experimental (prerelease trainer packages; options and results may change):
          kto         Kahneman-Tversky optimization on unpaired labels (Trl.Experimental.Kto)
          cpo         contrastive preference optimization, SimPO, AlphaPO (Trl.Experimental.Cpo)
          orpo        odds-ratio preference optimization (Trl.Experimental.Orpo)
          bco         binary classifier optimization (Trl.Experimental.Bco)
          prm         process reward modelling on stepwise supervision (Trl.Experimental.Prm)

          generate    generate from a checkpoint
          env         versions, device and native backend status

        trl <command> --help lists every field with its default.
        With no --model_name_or_path / --dataset_name, each trainer runs on the embedded tiny model and string-reversal data.
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.BadConfig : ExitCodes.Success;
        }
        try
        {
            var rest = CliArguments.Parse(args[1..]);
            return args[0] switch
            {
                "sft" => SftCommand.Run(rest, output),
                "dpo" => DpoCommand.Run(rest, output),
                "reward" => RewardCommand.Run(rest, output),
                "grpo" => GrpoCommand.Run(rest, output),
                "kto" => KtoCommand.Run(rest, output),
                "cpo" => CpoCommand.Run(rest, output),
                "orpo" => OrpoCommand.Run(rest, output),
                "bco" => BcoCommand.Run(rest, output),
                "prm" => PrmCommand.Run(rest, output),
                "generate" => GenerateCommand.Run(rest, output),
                "env" => EnvCommand.Run(output),
                _ => throw new CliException($"unknown command '{args[0]}' (commands: sft, dpo, reward, grpo, kto, cpo, orpo, bco, prm, generate, env)."),
            };
        }
        catch (CliException e) { return Fail(error, e.Message, ExitCodes.BadConfig); }
        catch (ArgumentException e) { return Fail(error, e.Message, ExitCodes.BadConfig); }
        catch (FileNotFoundException e) { return Fail(error, e.Message, ExitCodes.MissingFile); }
        catch (DirectoryNotFoundException e) { return Fail(error, e.Message, ExitCodes.MissingFile); }
        catch (InvalidDataException e) { return Fail(error, e.Message, ExitCodes.BadData); }
        catch (NotSupportedException e) { return Fail(error, e.Message, ExitCodes.BadConfig); }
    }

    static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine($"trl: error: {message}");
        return code;
    }
}
