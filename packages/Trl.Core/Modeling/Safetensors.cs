using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>Reads and writes the safetensors format (8-byte little-endian header length, a JSON header, raw
/// little-endian tensor bytes). Tensors are read straight into native memory; writes go to a temporary file
/// that replaces the target only when complete. Nothing is ever unpickled or executed.</summary>
public static class Safetensors
{
    const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Reads every tensor of a file onto the CPU. Tensors are detached from any dispose scope:
    /// the caller owns them.</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, null);

    /// <summary>Reads the tensors of a file whose names pass <paramref name="include"/> (all when null).</summary>
    public static Dictionary<string, Tensor> Load(string path, Func<string, bool>? include)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var header = ReadHeader(fs, path, out long dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Tensors)
            {
                if (include is not null && !include(entry.Name)) continue;
                var t = empty(entry.Shape, dtype: entry.DType).DetachFromDisposeScope();
                result[entry.Name] = t;
                if (entry.End - entry.Begin == 0) continue;
                fs.Position = dataStart + entry.Begin;
                fs.ReadExactly(t.bytes);
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Reads only the header: names, dtypes and shapes, in file order.</summary>
    internal static SafetensorsHeader ReadHeader(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadHeader(fs, path, out _);
    }

    static SafetensorsHeader ReadHeader(Stream fs, string path, out long dataStart)
    {
        long fileLength = fs.Length;
        if (fileLength < 8)
            throw new InvalidDataException($"{path}: not a safetensors file (only {fileLength} bytes; the 8-byte header length is missing).");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > (ulong)MaxHeaderBytes || 8 + (long)headerLength > fileLength)
            throw new InvalidDataException($"{path}: truncated or corrupt safetensors header (declared {headerLength} header bytes, file has {fileLength} bytes).");
        var json = new byte[headerLength];
        fs.ReadExactly(json);
        dataStart = 8 + (long)headerLength;
        long start = dataStart;
        return Trl.Data.FileFormat.Read(path, () => ParseHeader(json, path, fileLength, start));
    }

    static SafetensorsHeader ParseHeader(byte[] json, string path, long fileLength, long dataStart)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) as JsonObject ?? throw new InvalidDataException($"{path}: the safetensors header is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the safetensors header is not valid JSON ({e.Message}).", e);
        }

        var tensors = new List<SafetensorsEntry>();
        Dictionary<string, string>? metadata = null;
        long dataLength = fileLength - dataStart;
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                metadata = (node as JsonObject ?? throw new InvalidDataException($"{path}: __metadata__ must be an object of strings."))
                    .ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "");
                continue;
            }
            var o = node?.AsObject() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no description in the header.");
            var dtypeName = o["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no dtype.");
            var dtype = ParseDType(dtypeName) ?? throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype '{dtypeName}' (supported: {string.Join(", ", DTypeNames.Keys)}).");
            var shape = o["shape"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no shape.");
            if (shape.Length > 8 || shape.Any(d => d < 0))
                throw new InvalidDataException($"{path}: tensor '{name}' has an invalid shape [{string.Join(",", shape)}].");
            var offsets = o["data_offsets"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            if (offsets is not { Length: 2 })
                throw new InvalidDataException($"{path}: tensor '{name}' needs data_offsets [begin, end].");
            long expected;
            try { expected = checked(shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype)); }
            catch (OverflowException) { throw new InvalidDataException($"{path}: tensor '{name}' of shape [{string.Join(",", shape)}] is larger than any file."); }
            if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new InvalidDataException($"{path}: tensor '{name}' data_offsets [{offsets[0]}, {offsets[1]}] fall outside the {dataLength} data bytes (file truncated?).");
            if (offsets[1] - offsets[0] != expected)
                throw new InvalidDataException($"{path}: tensor '{name}' of dtype {dtypeName} and shape [{string.Join(",", shape)}] needs {expected} bytes, but data_offsets span {offsets[1] - offsets[0]}.");
            if (expected > int.MaxValue)
                throw new NotSupportedException($"{path}: tensor '{name}' is larger than 2 GiB, which this reader does not support yet.");
            tensors.Add(new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]));
        }
        return new SafetensorsHeader(tensors, metadata ?? new Dictionary<string, string>());
    }

    /// <summary>Writes tensors (keys sorted, header padded to 8 bytes, <c>{"format":"pt"}</c> metadata as
    /// transformers writes) to a temporary file, then moves it over <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            long bytes = t.numel() * ElementSize(t.dtype);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(t.dtype),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        var headerPadded = new byte[padded];
        headerBytes.CopyTo(headerPadded, 0);
        for (int i = headerBytes.Length; i < padded; i++) headerPadded[i] = (byte)' ';

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                fs.Write(len);
                fs.Write(headerPadded);
                foreach (var name in names)
                {
                    using var scope = NewDisposeScope();
                    var cpuTensor = tensors[name].detach().cpu().contiguous();
                    fs.Write(cpuTensor.bytes);
                }
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    static readonly Dictionary<string, ScalarType> DTypeNames = new()
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    static ScalarType? ParseDType(string name) => DTypeNames.TryGetValue(name, out var t) ? t : null;

    /// <summary>The safetensors name of a TorchSharp dtype.</summary>
    public static string DTypeName(ScalarType t) =>
        DTypeNames.FirstOrDefault(kv => kv.Value == t).Key ?? throw new NotSupportedException($"dtype {t} cannot be stored in safetensors by this writer.");

    /// <summary>Bytes per element of a dtype.</summary>
    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {t} is not supported."),
    };
}

/// <summary>One tensor's description in a safetensors header.</summary>
internal sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>The header of a safetensors file.</summary>
internal sealed record SafetensorsHeader(IReadOnlyList<SafetensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata);
