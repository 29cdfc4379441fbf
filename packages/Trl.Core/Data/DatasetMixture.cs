using System.Text.Json.Nodes;

namespace Trl.Data;

/// <summary>TRL's dataset mixtures (DatasetMixtureConfig, trl.scripts.utils.get_dataset): several datasets read and
/// concatenated in order; with fractions, the first round(w·N) rows of each are kept, w the normalised fraction and N
/// the largest total that oversamples none; with test_split_size, a shuffled train/test split (seeded).</summary>
public static class DatasetMixture
{
    /// <summary>The mixture's rows: the train rows and, when <paramref name="testSplitSize"/> is set (a fraction in
    /// (0, 1) or a row count ≥ 1), the test rows. <paramref name="resolve"/> turns a source's Hub id into a local folder.</summary>
    public static (IReadOnlyList<DatasetRow> Train, IReadOnlyList<DatasetRow> Test) Read(IReadOnlyList<DatasetSource> sources,
        double? testSplitSize = null, int seed = 42, Func<DatasetSource, string>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0) throw new ArgumentException("datasets: the mixture lists no dataset.");
        var parts = sources.Select(s => ReadSource(s, resolve ?? (p => p.Path)).ToList()).ToList();
        var fractions = sources.Select(s => s.Fraction).ToList();
        if (fractions.Any(f => f is not null))
        {
            if (fractions.Any(f => f is null)) throw new ArgumentException("datasets: fraction must be set for either all datasets in the mixture or none of them.");
            if (fractions.Any(f => f < 0) || fractions.Sum() <= 0) throw new ArgumentException("datasets: fractions must be ≥ 0 with a positive sum.");
            var weights = fractions.Select(f => f!.Value / fractions.Sum()!.Value).ToList();
            double total = parts.Zip(weights).Where(p => p.Second > 0).Min(p => p.First.Count / p.Second);
            parts = parts.Zip(weights).Select(p => p.First.Take((int)Math.Round(p.Second * total, MidpointRounding.ToEven)).ToList()).ToList();
        }
        var all = parts.SelectMany(p => p).ToList();
        if (testSplitSize is not { } size) return (all, []);
        int testCount = size switch
        {
            > 0 and < 1 => (int)Math.Ceiling(size * all.Count),
            >= 1 when size == Math.Floor(size) && size < all.Count => (int)size,
            _ => throw new ArgumentException($"test_split_size must be a fraction in (0, 1) or a row count below {all.Count} (got {size})."),
        };
        // train_test_split shuffles, then takes the test rows first.
        var order = Enumerable.Range(0, all.Count).ToArray();
        new Random(seed).Shuffle(order);
        return (order.Skip(testCount).Select(i => all[i]).ToList(), order.Take(testCount).Select(i => all[i]).ToList());
    }

    static IEnumerable<DatasetRow> ReadSource(DatasetSource source, Func<DatasetSource, string> resolve)
    {
        var root = resolve(source);
        if (source.DataDir is not null) root = Path.Combine(root, source.DataDir);
        IEnumerable<DatasetRow> rows;
        if (source.DataFiles is { Count: > 0 } patterns)
        {
            var folder = Directory.Exists(root) ? root : throw new DirectoryNotFoundException($"{source.Path}: data_files need a dataset folder.");
            var files = patterns.SelectMany(p => DatasetCard.Match(folder, p)).Distinct().ToList();
            rows = files.SelectMany(f => DatasetLoader.Read(f, source.Split));
        }
        else rows = DatasetLoader.Read(root, source.Split, source.Name);
        return source.Columns is null ? rows : rows.Select(r => Select(r, source.Columns));
    }

    static DatasetRow Select(DatasetRow row, IReadOnlyList<string> columns)
    {
        var kept = new JsonObject();
        foreach (var c in columns)
        {
            if (!row.Values.ContainsKey(c)) throw new InvalidDataException($"{row.Source}: row {row.RowNumber}: no column '{c}' (columns: {string.Join(", ", row.Values.Select(kv => kv.Key))}).");
            kept[c] = row.Values[c]?.DeepClone();
        }
        return row with { Values = kept };
    }
}
