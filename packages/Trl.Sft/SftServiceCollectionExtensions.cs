using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.DependencyInjection;
using Trl.Modeling;

namespace Trl.Sft;

/// <summary>Creates <see cref="SftTrainer"/>s with the registered <see cref="SftConfig"/> and the host's logging.</summary>
public sealed class SftTrainerFactory(SftConfig config, ILoggerFactory? loggerFactory = null) : TrainerFactory<SftConfig>(config, loggerFactory)
{
    /// <summary>A trainer over tokenized examples.</summary>
    public SftTrainer Create(CausalLM model, IReadOnlyList<SftExample> examples, long padTokenId) =>
        new(model, Config, examples, padTokenId, Logger<SftTrainer>());
}

/// <summary>DI registration of the SFT trainer.</summary>
public static class SftServiceCollectionExtensions
{
    /// <summary>Registers the trainer with TRL's default <see cref="SftConfig"/>.</summary>
    public static IServiceCollection AddSftTrainer(this IServiceCollection services) => services.AddSftTrainer(configure: null);

    /// <summary>Registers Trl.Core's services, an <see cref="SftConfig"/> (TRL's defaults, changed by
    /// <paramref name="configure"/>, e.g. <c>c =&gt; c with { LearningRate = 1e-5 }</c>) and <see cref="SftTrainerFactory"/>.</summary>
    public static IServiceCollection AddSftTrainer(this IServiceCollection services, Func<SftConfig, SftConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var config = configure?.Invoke(new SftConfig()) ?? new SftConfig();
        config.Validate();
        services.AddTrl();
        services.AddSingleton(config);
        services.AddSingleton(sp => new SftTrainerFactory(config, sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Registers the trainer with a config bound from a configuration section (appsettings.json, YAML,
    /// environment …): keys are TRL's names (<c>learning_rate</c>) or the property names (<c>LearningRate</c>);
    /// an unknown key is an error naming it.</summary>
    public static IServiceCollection AddSftTrainer(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddSftTrainer(c => OptionsBinding.Bind(c, configuration));
    }
}
