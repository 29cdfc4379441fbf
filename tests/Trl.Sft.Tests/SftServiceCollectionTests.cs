using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trl.DependencyInjection;
using Trl.Sft;
using Trl.Testing;

namespace Trl.Sft.Tests;

/// <summary>A .NET host wires Trl.NET through DI: AddSftTrainer registers the loader, the config and the factory,
/// and the trainer it creates logs through the host's ILogger.</summary>
public class SftServiceCollectionTests
{
    [Test]
    public void AddSftTrainerRegistersAWorkingFactory()
    {
        var logs = new List<string>();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(new ListLoggerProvider(logs)))
            .AddSftTrainer(c => c with { LearningRate = 1e-3, MaxSteps = 2, PerDeviceTrainBatchSize = 2, LoggingSteps = 1, SaveSteps = 0,
                OutputDir = Path.Combine(Path.GetTempPath(), "trl-tests", Guid.NewGuid().ToString("N")) });
        using var provider = services.BuildServiceProvider();
        var loader = provider.GetRequiredService<TrlModelLoader>();
        var factory = provider.GetRequiredService<SftTrainerFactory>();
        Assert.That(provider.GetRequiredService<SftConfig>().LearningRate, Is.EqualTo(1e-3));

        var tokenizer = loader.LoadTokenizer(Fixtures.Trl("tokenizer"));
        using var model = loader.LoadCausalLM(Fixtures.Trl("models", "qwen2_tiny"));
        var preparer = new SftDatasetPreparer(tokenizer, factory.Config);
        var rows = loader.ReadDataset(Path.Combine(Fixtures.Root, "cli", "sft_rows.jsonl")).Select(preparer.Tokenize).ToList();
        using var trainer = factory.Create(model, rows, padTokenId: 0);
        var state = trainer.Train();
        Assert.That(state.GlobalStep, Is.EqualTo(2));
        Assert.That(logs, Has.Some.Contains("step 2/2").And.Some.Contains("loss="));
    }

    [Test]
    public void AnInvalidRegisteredConfigFailsAtRegistration()
    {
        Assert.That(() => new ServiceCollection().AddSftTrainer(c => c with { LossType = "mse" }), Throws.ArgumentException.With.Message.Contains("mse"));
    }

    sealed class ListLoggerProvider(List<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(sink);
        public void Dispose() { }
    }

    sealed class ListLogger(List<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => sink.Add(formatter(state, exception));
    }
}
