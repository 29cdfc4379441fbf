// Allocator tuning is a process-wide trade of memory for CPU speed: the tool applies it only when asked.
if (Environment.GetEnvironmentVariable("TRL_MALLOC_TUNING") == "1") Trl.Training.NativeAllocator.Tune();
return Trl.Cli.CliApp.Run(args, Console.Out, Console.Error);
