using System.Collections;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace Trl.Data;

/// <summary>Reads a Parquet file (the layout the Hugging Face Hub stores datasets in) one row group at a time,
/// turning each row into a JSON object: nested lists and structs (e.g. chat messages) are kept.</summary>
internal static class ParquetRows
{
    /// <summary>Largest footer (file metadata) read: real ones are kilobytes to a few megabytes.</summary>
    const long MaxFooterBytes = 64L * 1024 * 1024;

    /// <summary>Checks the framing before the Parquet library allocates from it: PAR1 at both ends and a footer length
    /// that fits the file (a hostile length must not allocate gigabytes).</summary>
    static void CheckFraming(string file)
    {
        using var fs = File.OpenRead(file);
        long length = fs.Length;
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[8];
        if (length < 12) throw new InvalidDataException($"{file}: not a Parquet file ({length} bytes).");
        fs.ReadExactly(head);
        fs.Position = length - 8;
        fs.ReadExactly(tail);
        if (!head.SequenceEqual("PAR1"u8) || !tail[4..].SequenceEqual("PAR1"u8))
            throw new InvalidDataException($"{file}: not a Parquet file (no PAR1 magic).");
        long footer = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footer <= 0 || footer > length - 12 || footer > MaxFooterBytes)
            throw new InvalidDataException($"{file}: corrupt Parquet footer (declared {footer} bytes in a {length}-byte file).");
    }

    public static IEnumerable<DatasetRow> Read(string file)
    {
        CheckFraming(file);
        int groups;
        using (var probe = File.OpenRead(file))
        {
            try
            {
                var reader = Parquet.ParquetReader.CreateAsync(probe).GetAwaiter().GetResult();
                groups = reader.RowGroupCount;
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or InvalidDataException or Parquet.ParquetException or InvalidOperationException
                                         or ArgumentException or IndexOutOfRangeException or OverflowException or NotSupportedException or FormatException)
            {
                throw new InvalidDataException($"{file}: not a readable Parquet file ({e.Message}).", e);
            }
        }
        long row = 0;
        for (int g = 0; g < groups; g++)
        {
            IList<Dictionary<string, object>> data;
            // A footer that parses can still describe pages that do not: the row group is a data error naming the file.
            try
            {
                using var stream = File.OpenRead(file);
                data = ParquetSerializer.DeserializeUntypedAsync(stream, null, g).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or Parquet.ParquetException or InvalidOperationException
                                         or ArgumentException or IndexOutOfRangeException or OverflowException or NotSupportedException or FormatException or InvalidCastException)
            {
                throw new InvalidDataException($"{file}: row group {g} cannot be read ({e.Message}).", e);
            }
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
