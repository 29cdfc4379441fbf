using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trl.Training;

namespace Trl.DependencyInjection;

/// <summary>What a trainer package registers: its configuration (from <c>AddXxxTrainer(configure)</c>) and the host's
/// loggers, so trainers can be created where models and data are at hand.</summary>
public abstract class TrainerFactory<TConfig>(TConfig config, ILoggerFactory? loggerFactory) where TConfig : TrainingOptions
{
    /// <summary>The registered configuration.</summary>
    public TConfig Config { get; } = config ?? throw new ArgumentNullException(nameof(config));

    /// <summary>A logger for a trainer type.</summary>
    protected ILogger Logger<T>() => (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<T>();
}
