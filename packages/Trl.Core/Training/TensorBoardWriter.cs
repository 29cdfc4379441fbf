using System.Buffers.Binary;
using System.Numerics;
using Google.Protobuf;
using Tensorboard;

namespace Trl.Training;

/// <summary>A TensorBoard event file (<c>events.out.tfevents.*</c>): TFRecord framing (length, masked CRC-32C of the
/// length, the serialized <c>Event</c>, masked CRC-32C of the data) around TorchSharp's generated TensorBoard protos,
/// flushed after every event so a crash loses nothing. Scalars and text as torch.utils.tensorboard writes them.</summary>
public sealed class TensorBoardWriter : IDisposable
{
    readonly FileStream _file;

    /// <summary>Creates <paramref name="logDir"/> and a new event file in it.</summary>
    public TensorBoardWriter(string logDir)
    {
        ArgumentNullException.ThrowIfNull(logDir);
        Directory.CreateDirectory(logDir);
        LogDir = logDir;
        FilePath = Path.Combine(logDir, $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        _file = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(new Event { WallTime = Now(), FileVersion = "brain.Event:2" });
    }

    /// <summary>The folder TensorBoard is pointed at.</summary>
    public string LogDir { get; }
    /// <summary>The event file.</summary>
    public string FilePath { get; }

    /// <summary>One scalar point (TensorBoard's scalars dashboard).</summary>
    public void AddScalar(string tag, double value, long step)
    {
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        Write(new Event { WallTime = Now(), Step = step, Summary = summary });
    }

    /// <summary>A text entry (TensorBoard's text dashboard, markdown), stored as torch does: tag/text_summary, plugin "text".</summary>
    public void AddText(string tag, string text, long step)
    {
        var tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() };
        tensor.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
        tensor.StringVal.Add(ByteString.CopyFromUtf8(text));
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value
        {
            Tag = tag + "/text_summary",
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
            Tensor = tensor,
        });
        Write(new Event { WallTime = Now(), Step = step, Summary = summary });
    }

    void Write(Event e)
    {
        var data = e.ToByteArray();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(length));
        _file.Write(length);
        _file.Write(crc);
        _file.Write(data);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(data));
        _file.Write(crc);
        _file.Flush();
    }

    static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>TFRecord's masked CRC-32C (Castagnoli).</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
