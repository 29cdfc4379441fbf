Console.WriteLine("unreachable");
