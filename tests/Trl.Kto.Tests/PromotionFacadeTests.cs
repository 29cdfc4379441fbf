using Trl.Testing;

namespace Trl.Kto.Tests;

/// <summary>Kto was promoted from Trl.Experimental.Kto: the facade must forward every public type, or a binary compiled
/// against the old prerelease fails with TypeLoadException at run time.</summary>
public class PromotionFacadeTests
{
    [Test]
    public void The_experimental_facade_forwards_every_public_type_to_the_stable_package() =>
        PromotionFacade.AssertForwardsEveryPublicType("Trl.Experimental.Kto", typeof(KtoTrainer).Assembly);
}
