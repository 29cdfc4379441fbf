using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.DependencyInjection;
using Trl.Modeling;

namespace Trl.Dpo;

/// <summary>Creates <see cref="DpoTrainer"/>s with the registered <see cref="DpoConfig"/> and the host's logging.</summary>
public sealed class DpoTrainerFactory(DpoConfig config, ILoggerFactory? loggerFactory = null) : TrainerFactory<DpoConfig>(config, loggerFactory)
{
    /// <summary>A trainer over tokenized preference pairs.</summary>
    public DpoTrainer Create(CausalLM model, CausalLM? referenceModel, IReadOnlyList<PreferenceExample> pairs, long padTokenId) =>
        new(model, referenceModel, Config, pairs, padTokenId, Logger<DpoTrainer>());
}

/// <summary>DI registration of the DPO trainer.</summary>
public static class DpoServiceCollectionExtensions
{
    /// <summary>Registers the trainer with TRL's default <see cref="DpoConfig"/>.</summary>
    public static IServiceCollection AddDpoTrainer(this IServiceCollection services) => services.AddDpoTrainer(configure: null);

    /// <summary>Registers Trl.Core's services, a <see cref="DpoConfig"/> and <see cref="DpoTrainerFactory"/>.</summary>
    public static IServiceCollection AddDpoTrainer(this IServiceCollection services, Func<DpoConfig, DpoConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var config = configure?.Invoke(new DpoConfig()) ?? new DpoConfig();
        config.Validate();
        services.AddTrl();
        services.AddSingleton(config);
        services.AddSingleton(sp => new DpoTrainerFactory(config, sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Registers the trainer with a config bound from a configuration section (appsettings.json, YAML,
    /// environment …): keys are TRL's names (<c>learning_rate</c>) or the property names (<c>LearningRate</c>);
    /// an unknown key is an error naming it.</summary>
    public static IServiceCollection AddDpoTrainer(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddDpoTrainer(c => OptionsBinding.Bind(c, configuration));
    }
}
