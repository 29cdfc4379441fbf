using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trl.Data;
using Trl.DependencyInjection;
using Trl.Modeling;

namespace Trl.Reward;

/// <summary>Creates <see cref="RewardTrainer"/>s with the registered <see cref="RewardConfig"/> and the host's logging.</summary>
public sealed class RewardTrainerFactory(RewardConfig config, ILoggerFactory? loggerFactory = null) : TrainerFactory<RewardConfig>(config, loggerFactory)
{
    /// <summary>A trainer over tokenized preference pairs.</summary>
    public RewardTrainer Create(SequenceClassifier model, IReadOnlyList<RewardExample> pairs, long padTokenId) =>
        new(model, Config, pairs, padTokenId, Logger<RewardTrainer>());
}

/// <summary>DI registration of the reward trainer.</summary>
public static class RewardServiceCollectionExtensions
{
    /// <summary>Registers the trainer with TRL's default <see cref="RewardConfig"/>.</summary>
    public static IServiceCollection AddRewardTrainer(this IServiceCollection services) => services.AddRewardTrainer(configure: null);

    /// <summary>Registers Trl.Core's services, a <see cref="RewardConfig"/> and <see cref="RewardTrainerFactory"/>.</summary>
    public static IServiceCollection AddRewardTrainer(this IServiceCollection services, Func<RewardConfig, RewardConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var config = configure?.Invoke(new RewardConfig()) ?? new RewardConfig();
        config.Validate();
        services.AddTrl();
        services.AddSingleton(config);
        services.AddSingleton(sp => new RewardTrainerFactory(config, sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Registers the trainer with a config bound from a configuration section (appsettings.json, YAML,
    /// environment …): keys are TRL's names (<c>learning_rate</c>) or the property names (<c>LearningRate</c>);
    /// an unknown key is an error naming it.</summary>
    public static IServiceCollection AddRewardTrainer(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddRewardTrainer(c => OptionsBinding.Bind(c, configuration));
    }
}
