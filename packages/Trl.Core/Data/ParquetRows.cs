using System.Collections;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace Trl.Data;

/// <summary>Reads a Parquet file (the layout the Hugging Face Hub stores datasets in) one row group at a time,
/// turning each row into a JSON object: nested lists and structs (e.g. chat messages) are kept.</summary>
internal static class ParquetRows
{
    public static IEnumerable<DatasetRow> Read(string file)
    {
        int groups;
        using (var probe = File.OpenRead(file))
        {
            try
            {
                var reader = Parquet.ParquetReader.CreateAsync(probe).GetAwaiter().GetResult();
                groups = reader.RowGroupCount;
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or InvalidDataException or Parquet.ParquetException)
            {
                throw new InvalidDataException($"{file}: not a readable Parquet file ({e.Message}).", e);
            }
        }
        long row = 0;
        for (int g = 0; g < groups; g++)
        {
            IList<Dictionary<string, object>> data;
            using (var stream = File.OpenRead(file))
                data = ParquetSerializer.DeserializeUntypedAsync(stream, null, g).GetAwaiter().GetResult().Data;
            foreach (var values in data)
            {
                row++;
                var o = new JsonObject();
                foreach (var (k, v) in values) o[k] = ToNode(v);
                yield return new DatasetRow(o, file, row);
            }
        }
    }

    static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        IDictionary<string, object> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, ToNode(kv.Value)))),
        IEnumerable e and not string => new JsonArray(e.Cast<object?>().Select(ToNode).ToArray()),
        IConvertible c => JsonValue.Create(Convert.ToDouble(c, System.Globalization.CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(value.ToString()),
    };
}
