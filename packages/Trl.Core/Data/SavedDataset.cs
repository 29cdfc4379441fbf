using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace Trl.Data;

/// <summary>Folders written by the datasets library's <c>save_to_disk</c>: a DatasetDict (<c>dataset_dict.json</c>
/// listing splits, one sub-folder each) or a single Dataset (<c>state.json</c> naming its
/// <c>data-0000i-of-0000N.arrow</c> shards, Arrow IPC streams). Rows are read column by column into JSON rows.</summary>
internal static class SavedDataset
{
    /// <summary>Whether the folder is a save_to_disk output.</summary>
    public static bool IsSaved(string folder) =>
        File.Exists(Path.Combine(folder, "dataset_dict.json")) || File.Exists(Path.Combine(folder, "state.json"));

    /// <summary>The rows of <paramref name="split"/> (a single saved Dataset has no splits: it is every split).</summary>
    public static IEnumerable<DatasetRow> Read(string folder, string split)
    {
        var dict = Path.Combine(folder, "dataset_dict.json");
        if (File.Exists(dict))
        {
            var splits = (JsonNode.Parse(File.ReadAllText(dict))?["splits"] as JsonArray)?.Select(s => s!.GetValue<string>()).ToList()
                ?? throw new InvalidDataException($"{dict}: no 'splits' list.");
            if (!splits.Contains(split)) throw new FileNotFoundException($"{folder}: no '{split}' split (saved splits: {string.Join(", ", splits)}).");
            folder = Path.Combine(folder, split);
        }
        var state = Path.Combine(folder, "state.json");
        var files = (JsonNode.Parse(File.ReadAllText(state))?["_data_files"] as JsonArray)?.Select(f => f!["filename"]!.GetValue<string>()).ToList()
            ?? throw new InvalidDataException($"{state}: no '_data_files' list.");
        return files.SelectMany(f => ReadArrowStream(Path.Combine(folder, f)));
    }

    static IEnumerable<DatasetRow> ReadArrowStream(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: listed in state.json but missing.", file);
        using var stream = File.OpenRead(file);
        using var reader = new ArrowStreamReader(stream);
        long row = 0;
        RecordBatch? batch;
        while ((batch = reader.ReadNextRecordBatch()) is not null)
        {
            using (batch)
            {
                var names = batch.Schema.FieldsList.Select(f => f.Name).ToList();
                for (int i = 0; i < batch.Length; i++)
                {
                    var o = new JsonObject();
                    for (int c = 0; c < names.Count; c++) o[names[c]] = Value(batch.Column(c), i, file);
                    yield return new DatasetRow(o, file, ++row);
                }
            }
        }
    }

    static JsonNode? Value(IArrowArray array, int index, string file)
    {
        if (array.IsNull(index)) return null;
        return array switch
        {
            StringArray s => s.GetString(index),
            LargeStringArray s => s.GetString(index),
            BooleanArray b => b.GetValue(index),
            Int8Array a => a.GetValue(index),
            Int16Array a => a.GetValue(index),
            Int32Array a => a.GetValue(index),
            Int64Array a => a.GetValue(index),
            UInt8Array a => a.GetValue(index),
            UInt16Array a => a.GetValue(index),
            UInt32Array a => a.GetValue(index),
            UInt64Array a => a.GetValue(index),
            FloatArray a => a.GetValue(index),
            DoubleArray a => a.GetValue(index),
            ListArray l => List(l.GetSlicedValues(index), file),
            LargeListArray l => List(l.GetSlicedValues(index), file),
            FixedSizeListArray l => List(l.GetSlicedValues(index), file),
            StructArray s => Struct(s, index, file),
            _ => throw new NotSupportedException($"{file}: Arrow column type {array.Data.DataType.Name} is not supported (strings, numbers, booleans, lists and structs are)."),
        };
    }

    static JsonArray List(IArrowArray values, string file)
    {
        var list = new JsonArray();
        for (int i = 0; i < values.Length; i++) list.Add(Value(values, i, file));
        return list;
    }

    static JsonObject Struct(StructArray s, int index, string file)
    {
        var fields = ((StructType)s.Data.DataType).Fields;
        var o = new JsonObject();
        for (int f = 0; f < fields.Count; f++) o[fields[f].Name] = Value(s.Fields[f], index, file);
        return o;
    }
}
