using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trl.Data;

/// <summary>Reads Hugging Face–style local datasets: a .jsonl / .json / .parquet file; a folder whose files are named
/// by split as HF does (train.jsonl, train-00000-of-00002.parquet, data/train-*.json …), whose card (README.md) may
/// declare configs with their data files; or a folder written by <c>datasets.save_to_disk</c> (Arrow).</summary>
public static class DatasetLoader
{
    /// <summary>Rows of <paramref name="path"/> (a file, or a folder's files of <paramref name="split"/>), streamed in order.</summary>
    public static IEnumerable<DatasetRow> Read(string path, string split) => Read(path, split, config: null);

    /// <summary>Rows of <paramref name="split"/> in the configuration <paramref name="config"/> (dataset_config: one of
    /// the card's configs, else a sub-folder of that name; null: the default configuration).</summary>
    public static IEnumerable<DatasetRow> Read(string path, string split = "train", string? config = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(split);
        if (Directory.Exists(path) && SavedDataset.IsSaved(path)) return SavedDataset.Read(path, split);
        if (Directory.Exists(path) && DatasetCard.TryRead(path) is { } card)
        {
            var (files, folder) = card.Resolve(path, config, split);
            if (files is not null) return files.Where(IsDataFile).SelectMany(f => ReadFile(f));
            return ReadSplitFiles(folder, split);
        }
        if (config is not null && Directory.Exists(path))
        {
            var sub = Path.Combine(path, config);
            if (!Directory.Exists(sub)) throw new DirectoryNotFoundException($"{path}: no configuration '{config}' (neither in a README.md card nor as a sub-folder).");
            path = sub;
        }
        return ReadSplitFiles(path, split);
    }

    static IEnumerable<DatasetRow> ReadSplitFiles(string path, string split)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => IsDataFile(f) && Path.GetFileName(f).StartsWith(split, StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            // As the datasets library infers splits: a folder whose files name no split at all is one train split.
            if (files.Count == 0 && split == "train")
            {
                var all = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(IsDataFile).Order(StringComparer.Ordinal).ToList();
                if (all.Count > 0 && !all.Any(f => SplitKeywords.Any(k => Path.GetFileName(f).StartsWith(k, StringComparison.OrdinalIgnoreCase)))) files = all;
            }
            if (files.Count == 0)
                throw new FileNotFoundException($"{path}: no '{split}' split found (expected files named {split}*.jsonl / .json / .parquet).");
            return files.SelectMany(f => ReadFile(f));
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset not found: {path}.", path);
        return ReadFile(path);
    }

    static readonly string[] SplitKeywords = ["train", "validation", "valid", "dev", "val", "test", "eval"];

    static bool IsDataFile(string f) => f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        || f.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    static IEnumerable<DatasetRow> ReadFile(string file)
    {
        if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return ReadJsonLines(file);
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return ReadJson(file);
        if (file.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)) return ParquetRows.Read(file);
        throw new NotSupportedException($"{file}: unsupported dataset format (supported: .jsonl, .json, .parquet).");
    }

    static IEnumerable<DatasetRow> ReadJsonLines(string file)
    {
        long row = 0;
        foreach (var line in File.ReadLines(file))
        {
            row++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (node, error) = FileFormat.ParseStrict(line);
            // An unreadable line is handed on as a row, so a skip policy can count it like any other bad row.
            if (node is JsonObject o) yield return new DatasetRow(o, file, row);
            else yield return new DatasetRow(new JsonObject(), file, row) { ReadError = error ?? $"expected a JSON object, got {node?.GetValueKind().ToString() ?? "null"}" };
        }
    }

    static IEnumerable<DatasetRow> ReadJson(string file)
    {
        var (node, problem) = FileFormat.ParseStrict(File.ReadAllText(file));
        if (problem is not null) throw new InvalidDataException($"{file}: {problem}.");
        // Either a list of rows, or HF's column layout {"col": [...], ...}.
        if (node is JsonArray a)
        {
            long row = 0;
            foreach (var item in a)
            {
                row++;
                yield return item is JsonObject o ? new DatasetRow(o, file, row)
                    : new DatasetRow(new JsonObject(), file, row) { ReadError = "expected a JSON object" };
            }
        }
        else if (node is JsonObject columns && columns.All(c => c.Value is JsonArray))
        {
            int count = columns.Select(c => ((JsonArray)c.Value!).Count).DefaultIfEmpty(0).Max();
            for (int i = 0; i < count; i++)
            {
                var o = new JsonObject();
                foreach (var (k, v) in columns) o[k] = ((JsonArray)v!).ElementAtOrDefault(i)?.DeepClone();
                yield return new DatasetRow(o, file, i + 1);
            }
        }
        else throw new InvalidDataException($"{file}: expected a list of rows or a mapping of columns.");
    }
}
