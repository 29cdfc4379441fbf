using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trl.Data;

/// <summary>Reads Hugging Face–style local datasets: a .jsonl / .json / .parquet file, or a folder whose files are
/// named by split as HF does (train.jsonl, train-00000-of-00002.parquet, data/train-*.json …).</summary>
public static class DatasetLoader
{
    /// <summary>Prepares every row with <paramref name="prepare"/>. A row that fails with a data error either stops
    /// the run (<see cref="BadRowPolicy.Error"/>, the message names file, row and field) or is skipped, logged and
    /// counted (<see cref="BadRowPolicy.Skip"/>); nothing is dropped silently.</summary>
    public static List<T> PrepareAll<T>(IEnumerable<DatasetRow> rows, Func<DatasetRow, T> prepare, BadRowPolicy policy,
        Microsoft.Extensions.Logging.ILogger? logger, out int skipped)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(prepare);
        var result = new List<T>();
        skipped = 0;
        foreach (var row in rows)
        {
            try { result.Add(prepare(row)); }
            catch (InvalidDataException e) when (policy == BadRowPolicy.Skip)
            {
                skipped++;
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "Skipped bad row: {Reason}", e.Message);
            }
        }
        return result;
    }

    /// <summary>Rows of <paramref name="path"/> (a file, or a folder's files of <paramref name="split"/>), streamed in order.</summary>
    public static IEnumerable<DatasetRow> Read(string path, string split = "train")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => IsDataFile(f) && Path.GetFileName(f).StartsWith(split, StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new FileNotFoundException($"{path}: no '{split}' split found (expected files named {split}*.jsonl / .json / .parquet).");
            return files.SelectMany(f => ReadFile(f));
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset not found: {path}.", path);
        return ReadFile(path);
    }

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
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new InvalidDataException($"{file}: row {row}: not valid JSON ({e.Message}).", e); }
            if (node is not JsonObject o) throw new InvalidDataException($"{file}: row {row}: expected a JSON object.");
            yield return new DatasetRow(o, file, row);
        }
    }

    static IEnumerable<DatasetRow> ReadJson(string file)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(file)); }
        catch (JsonException e) { throw new InvalidDataException($"{file}: not valid JSON ({e.Message}).", e); }
        // Either a list of rows, or HF's column layout {"col": [...], ...}.
        if (node is JsonArray a)
        {
            long row = 0;
            foreach (var item in a)
            {
                row++;
                if (item is not JsonObject o) throw new InvalidDataException($"{file}: row {row}: expected a JSON object.");
                yield return new DatasetRow(o, file, row);
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
