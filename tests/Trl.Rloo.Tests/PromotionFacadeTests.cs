using Trl.Testing;

namespace Trl.Rloo.Tests;

/// <summary>Rloo was promoted from Trl.Experimental.Rloo: the facade must forward every public type, or a binary compiled
/// against the old prerelease fails with TypeLoadException at run time.</summary>
public class PromotionFacadeTests
{
    [Test]
    public void The_experimental_facade_forwards_every_public_type_to_the_stable_package() =>
        PromotionFacade.AssertForwardsEveryPublicType("Trl.Experimental.Rloo", typeof(RlooTrainer).Assembly);
}
