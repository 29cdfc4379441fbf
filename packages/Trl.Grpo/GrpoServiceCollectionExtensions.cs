using Trl.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trl.DependencyInjection;
using Trl.Rewards;
using Trl.Modeling;
using Trl.Tokenization;

namespace Trl.Grpo;

/// <summary>Creates <see cref="GrpoTrainer"/>s with the registered <see cref="GrpoConfig"/> and the host's logging.</summary>
public sealed class GrpoTrainerFactory(GrpoConfig config, ILoggerFactory? loggerFactory = null) : TrainerFactory<GrpoConfig>(config, loggerFactory)
{
    /// <summary>A trainer over prompts; <paramref name="referenceModel"/> may be null when beta is 0.</summary>
    public GrpoTrainer Create(CausalLM model, CausalLM? referenceModel, IReadOnlyList<PromptExample> prompts, ITextTokenizer tokenizer,
        IReadOnlyList<IRewardFunction> rewardFunctions) =>
        new(model, referenceModel, Config, prompts, tokenizer, rewardFunctions, Logger<GrpoTrainer>());
}

/// <summary>DI registration of the GRPO trainer.</summary>
public static class GrpoServiceCollectionExtensions
{
    /// <summary>Registers the trainer with TRL's default <see cref="GrpoConfig"/>.</summary>
    public static IServiceCollection AddGrpoTrainer(this IServiceCollection services) => services.AddGrpoTrainer(configure: null);

    /// <summary>Registers Trl.Core's services, a <see cref="GrpoConfig"/> and <see cref="GrpoTrainerFactory"/>.</summary>
    public static IServiceCollection AddGrpoTrainer(this IServiceCollection services, Func<GrpoConfig, GrpoConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var config = configure?.Invoke(new GrpoConfig()) ?? new GrpoConfig();
        config.Validate();
        services.AddTrl();
        services.AddSingleton(config);
        services.AddSingleton(sp => new GrpoTrainerFactory(config, sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Registers the trainer with a config bound from a configuration section (appsettings.json, YAML,
    /// environment …): keys are TRL's names (<c>learning_rate</c>) or the property names (<c>LearningRate</c>);
    /// an unknown key is an error naming it.</summary>
    public static IServiceCollection AddGrpoTrainer(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddGrpoTrainer(c => OptionsBinding.Bind(c, configuration));
    }
}
