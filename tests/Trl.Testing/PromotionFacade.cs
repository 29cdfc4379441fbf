using System.Reflection;
using NUnit.Framework;

namespace Trl.Testing;

/// <summary>Checks a promotion's facade (eng/README.md): it defines no public type of its own and forwards every
/// top-level public type of the promoted assembly (nested types travel with their containing type).</summary>
public static class PromotionFacade
{
    public static void AssertForwardsEveryPublicType(string facadeAssemblyName, Assembly promoted)
    {
        var facade = Assembly.Load(facadeAssemblyName);
        Assert.That(facade.GetExportedTypes(), Is.Empty, $"{facadeAssemblyName} must hold type forwards only");
        var forwarded = facade.GetForwardedTypes().Where(t => !t.IsNested).Select(t => t.FullName).ToHashSet();
        var exported = promoted.GetExportedTypes().Where(t => !t.IsNested).Select(t => t.FullName).ToList();
        Assert.That(exported, Is.Not.Empty);
        var missing = exported.Where(t => !forwarded.Contains(t)).ToList();
        Assert.That(missing, Is.Empty, $"{facadeAssemblyName} does not forward these public types of {promoted.GetName().Name}; add them to TypeForwarders.cs");
        Assert.That(facade.GetForwardedTypes().All(t => t.Assembly == promoted), Is.True, "every forward must point at the promoted assembly");
    }
}
