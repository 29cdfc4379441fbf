using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Trl.Dpo;

namespace Trl.Dpo.Tests;

/// <summary>Hosts configure trainers from appsettings.json: TRL's snake_case names and the property names both bind,
/// lists bind from JSON arrays, and an unknown key is an error naming its path.</summary>
public class DpoConfigurationTests
{
    static IConfiguration Json(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();

    [Test]
    public void AppSettingsSectionBindsTheDpoConfig()
    {
        var configuration = Json("""
            { "Trl": { "Dpo": { "learning_rate": 1e-4, "Beta": 0.2, "loss_type": ["sigmoid", "sft"], "loss_weights": [1, 0.5],
                                "max_length": null, "precompute_ref_log_probs": true, "output_dir": "runs/dpo" } } }
            """);
        using var provider = new ServiceCollection().AddDpoTrainer(configuration.GetSection("Trl:Dpo")).BuildServiceProvider();
        var config = provider.GetRequiredService<DpoConfig>();
        Assert.That(config.LearningRate, Is.EqualTo(1e-4));
        Assert.That(config.Beta, Is.EqualTo(0.2));
        Assert.That(config.LossType, Is.EqualTo(new[] { "sigmoid", "sft" }));
        Assert.That(config.LossWeights, Is.EqualTo(new[] { 1.0, 0.5 }));
        Assert.That(config.MaxLength, Is.Null);
        Assert.That(config.PrecomputeRefLogProbs, Is.True);
        Assert.That(config.OutputDir, Is.EqualTo("runs/dpo"));
        Assert.That(provider.GetRequiredService<DpoTrainerFactory>().Config, Is.SameAs(config));
    }

    [Test]
    public void UnknownKeysAndInvalidValuesAreErrors()
    {
        var unknown = Json("""{ "Dpo": { "learning_rat": 1e-4 } }""");
        Assert.That(() => new ServiceCollection().AddDpoTrainer(unknown.GetSection("Dpo")),
            Throws.ArgumentException.With.Message.Contains("Dpo:learning_rat: unknown field 'learning_rat'"));
        var invalid = Json("""{ "Dpo": { "loss_type": "dpo" } }""");
        Assert.That(() => new ServiceCollection().AddDpoTrainer(invalid.GetSection("Dpo")), Throws.ArgumentException.With.Message.Contains("'dpo'"));
    }
}
