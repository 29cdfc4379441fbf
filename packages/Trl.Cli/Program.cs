return Trl.Cli.CliApp.Run(args, Console.Out, Console.Error);
