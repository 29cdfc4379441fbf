using System.Globalization;
using System.Text.Json.Nodes;
using Trl.Cli.Arguments;
using Trl.Data;
using Trl.Hub;

namespace Trl.Cli.Commands;

/// <summary>A TRL `datasets:` mixture read once (trl.scripts.utils.get_dataset) and written as a dataset folder
/// (output_dir/_mixture/{train,test}.jsonl), so the rest of the run — tokenization cache, evaluation, bad-row
/// errors naming the file and row — treats it as any local dataset. The "_" keeps it out of push_to_hub.</summary>
internal static class MixtureFolder
{
    public static string Write(string json, string? testSplitSize, string outputDir, int seed, string trainSplit, string testSplit)
    {
        var sources = Parse(json);
        double? size = testSplitSize is null or "None" ? null
            : double.TryParse(testSplitSize, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new CliException($"test_split_size: '{testSplitSize}' is not a number.");
        var (train, test) = DatasetMixture.Read(sources, size, seed, source => HubPaths.ResolveDataset(source.Path, null, Console.Error, config: source.Name));
        var folder = Path.Combine(outputDir, "_mixture");
        Directory.CreateDirectory(folder);
        WriteRows(Path.Combine(folder, trainSplit + ".jsonl"), train);
        var testFile = Path.Combine(folder, testSplit + ".jsonl");
        if (test.Count > 0) WriteRows(testFile, test);
        else if (File.Exists(testFile)) File.Delete(testFile);
        return folder;
    }

    static void WriteRows(string path, IReadOnlyList<DatasetRow> rows)
    {
        var tmp = path + ".tmp";
        using (var writer = new StreamWriter(tmp))
            foreach (var row in rows) writer.WriteLine(row.Values.ToJsonString());
        File.Move(tmp, path, overwrite: true);
    }

    static List<DatasetSource> Parse(string json)
    {
        JsonArray list;
        try { list = JsonNode.Parse(json) as JsonArray ?? throw new CliException("datasets: expected a list of datasets (path, name, split …)."); }
        catch (System.Text.Json.JsonException) { throw new CliException("datasets: give the mixture as a YAML list of mappings in the config file."); }
        var known = new HashSet<string> { "path", "name", "data_dir", "data_files", "split", "columns", "fraction" };
        return list.Select((item, i) =>
        {
            if (item is not JsonObject o) throw new CliException($"datasets[{i}]: expected a mapping with at least 'path'.");
            if (o.Select(kv => kv.Key).FirstOrDefault(k => !known.Contains(k)) is { } unknown)
                throw new CliException($"datasets[{i}]: unknown key '{unknown}' (TRL's DatasetConfig has {string.Join(", ", known)}).");
            string? Text(string key) => o[key]?.GetValue<string>();
            IReadOnlyList<string>? List(string key) => o[key] switch
            {
                null => null,
                JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
                JsonObject m => m.Select(kv => kv.Value!.GetValue<string>()).ToList(),
                var v => [v.GetValue<string>()],
            };
            return new DatasetSource
            {
                Path = Text("path") ?? throw new CliException($"datasets[{i}]: 'path' is required."),
                Name = Text("name"), DataDir = Text("data_dir"), DataFiles = List("data_files"), Split = Text("split") ?? "train",
                Columns = List("columns"),
                Fraction = Text("fraction") is { } f ? double.Parse(f, CultureInfo.InvariantCulture) : null,
            };
        }).ToList();
    }
}
