using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Trl.DependencyInjection;

/// <summary>Registers Trl.NET's core services in a .NET host.</summary>
public static class TrlServiceCollectionExtensions
{
    /// <summary>Adds <see cref="TrlModelLoader"/> (model, tokenizer and dataset loading), logging through the host's
    /// ILoggerFactory when there is one. Trainer packages add their own <c>AddXxxTrainer()</c>.</summary>
    public static IServiceCollection AddTrl(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new TrlModelLoader(sp.GetService<ILoggerFactory>()));
        return services;
    }
}
