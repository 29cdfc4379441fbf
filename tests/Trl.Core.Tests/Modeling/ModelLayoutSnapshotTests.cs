using Snapshooter;
using Snapshooter.NUnit;
using Trl.Modeling;
using Trl.Testing;

namespace Trl.Core.Tests.Modeling;

/// <summary>The state-dict layout (HF names, shapes, dtypes) each supported family builds from its config, kept as
/// a reviewed snapshot: a change to the names or shapes checkpoints load into shows up as a diff.</summary>
public class ModelLayoutSnapshotTests
{
    [TestCase("trl", "qwen2_tiny")]
    [TestCase("trl2", "qwen3_tiny")]
    public void ParameterLayoutMatchesTheSnapshot(string set, string model)
    {
        var config = ModelConfig.Load(Path.Combine(Fixtures.Root, set, "models", model, "config.json"));
        using var lm = new CausalLM(config);
        var layout = lm.NamedParameters().Select(p => $"{p.Name} {string.Join("x", p.Parameter.shape)} {p.Parameter.dtype}").ToList();
        // An explicit snapshot path: Snapshooter otherwise finds the folder from the source path in the stack trace,
        // which deterministic CI builds map to /_/.
        var folder = Path.Combine(Path.GetDirectoryName(Fixtures.Root)!, "Trl.Core.Tests", "Modeling"); // Snapshooter adds __snapshots__
        var name = $"{nameof(ModelLayoutSnapshotTests)}.{nameof(ParameterLayoutMatchesTheSnapshot)}_{set}_{model}_{model}.snap";
        Snapshot.Match(layout, new SnapshotFullName(name, folder));
    }
}
