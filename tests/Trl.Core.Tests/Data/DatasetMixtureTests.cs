using Trl.Data;

namespace Trl.Core.Tests.Data;

/// <summary>TRL's dataset mixtures (get_dataset): concatenation in order, fractions as target shares capped so no
/// dataset is oversampled, column selection, data_files and data_dir, and a seeded train/test split.</summary>
public class DatasetMixtureTests
{
    string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "trl-mixture", Guid.NewGuid().ToString("N")));
        Write("a/train.jsonl", 100, "a");
        Write("b/train.jsonl", 50, "b");
        Write("b/extra/more-1.jsonl", 3, "c");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    void Write(string rel, int n, string tag)
    {
        var path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => $"{{\"text\": \"{tag}{i}\", \"extra\": {i}}}"));
    }

    DatasetSource Source(string rel, double? fraction = null) => new() { Path = Path.Combine(_dir, rel), Fraction = fraction };

    [Test]
    public void Without_fractions_the_datasets_are_concatenated_in_order()
    {
        var (train, test) = DatasetMixture.Read([Source("a"), Source("b")]);
        Assert.That(train, Has.Count.EqualTo(150));
        Assert.That((train[0].GetString("text"), train[100].GetString("text")), Is.EqualTo(("a0", "b0")));
        Assert.That(test, Is.Empty);
    }

    [Test]
    public void Fractions_are_target_shares_that_never_oversample()
    {
        // Equal shares: the 50-row dataset caps the total at 100, so 50 + 50.
        var (train, _) = DatasetMixture.Read([Source("a", 0.5), Source("b", 0.5)]);
        Assert.That(train.Count(r => r.GetString("text").StartsWith('a')), Is.EqualTo(50));
        Assert.That(train.Count(r => r.GetString("text").StartsWith('b')), Is.EqualTo(50));
        // 3:1 (normalised .75/.25): total = min(100/.75, 50/.25) = 133.3 → round(100) of a, round(33.3) = 33 of b.
        (train, _) = DatasetMixture.Read([Source("a", 3), Source("b", 1)]);
        Assert.That(train.Count(r => r.GetString("text").StartsWith('a')), Is.EqualTo(100));
        Assert.That(train.Count(r => r.GetString("text").StartsWith('b')), Is.EqualTo(33));
        Assert.Throws<ArgumentException>(() => DatasetMixture.Read([Source("a", 0.5), Source("b")]));
    }

    [Test]
    public void Columns_data_files_and_data_dir_select_what_is_read()
    {
        var (train, _) = DatasetMixture.Read([new DatasetSource { Path = Path.Combine(_dir, "b"), DataDir = "extra", Columns = ["text"] }]);
        Assert.That(train.Select(r => r.GetString("text")), Is.EqualTo(new[] { "c0", "c1", "c2" }));
        Assert.That(train[0].Values.Count, Is.EqualTo(1), "only the selected column");
        (train, _) = DatasetMixture.Read([new DatasetSource { Path = Path.Combine(_dir, "b"), DataFiles = ["extra/*.jsonl"] }]);
        Assert.That(train, Has.Count.EqualTo(3));
        Assert.That(Assert.Throws<InvalidDataException>(() => DatasetMixture.Read([new DatasetSource { Path = Path.Combine(_dir, "a"), Columns = ["nope"] }]).Train.ToList())!.Message,
            Does.Contain("no column 'nope'"));
    }

    [Test]
    public void Test_split_size_holds_out_a_seeded_share()
    {
        var (train, test) = DatasetMixture.Read([Source("a"), Source("b")], testSplitSize: 0.1, seed: 7);
        Assert.That((train.Count, test.Count), Is.EqualTo((135, 15)));
        Assert.That(train.Concat(test).Select(r => r.GetString("text")).Distinct().Count(), Is.EqualTo(150), "a partition");
        var (_, again) = DatasetMixture.Read([Source("a"), Source("b")], testSplitSize: 0.1, seed: 7);
        Assert.That(again.Select(r => r.GetString("text")), Is.EqualTo(test.Select(r => r.GetString("text"))), "same seed, same split");
        Assert.That(DatasetMixture.Read([Source("a")], testSplitSize: 10).Test, Has.Count.EqualTo(10));
    }
}
