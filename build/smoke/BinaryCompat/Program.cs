var modelDir = Environment.GetEnvironmentVariable("TRL_SMOKE_MODEL") ?? throw new InvalidOperationException("set TRL_SMOKE_MODEL");
Console.WriteLine($"binary compatibility OK: {OldLibrary.OldTraining.Run(modelDir)}");
