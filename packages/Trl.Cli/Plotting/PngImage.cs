using System.Buffers.Binary;
using System.IO.Compression;

namespace Trl.Cli.Plotting;

/// <summary>An RGB raster written as a PNG (8-bit truecolour, zlib-compressed rows), so the tool draws its training
/// curves without a graphics dependency.</summary>
internal sealed class PngImage(int width, int height)
{
    readonly byte[] _pixels = Enumerable.Repeat((byte)255, width * height * 3).ToArray();

    public int Width { get; } = width;
    public int Height { get; } = height;

    public void Set(int x, int y, (byte R, byte G, byte B) color)
    {
        if (x < 0 || y < 0 || x >= Width || y >= Height) return;
        int i = (y * Width + x) * 3;
        (_pixels[i], _pixels[i + 1], _pixels[i + 2]) = color;
    }

    /// <summary>A line (Bresenham), <paramref name="thickness"/> pixels wide.</summary>
    public void Line(int x0, int y0, int x1, int y1, (byte, byte, byte) color, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            for (int a = 0; a < thickness; a++) for (int b = 0; b < thickness; b++) Set(x0 + a, y0 + b, color);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    public void Save(string path)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // truecolour
        Chunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < Height; y++)
            {
                z.WriteByte(0);  // filter: none
                z.Write(_pixels, y * Width * 3, Width * 3);
            }
        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
    }

    static void Chunk(Stream s, string type, byte[] data)
    {
        var lengthAndType = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(lengthAndType, data.Length);
        for (int i = 0; i < 4; i++) lengthAndType[4 + i] = (byte)type[i];
        s.Write(lengthAndType);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(lengthAndType.AsSpan(4), data));
        s.Write(crc);
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    static uint Crc32(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in type) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
