using System.Globalization;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Testing;

/// <summary>Turns nested JSON arrays (and the {dtype, shape, data} form of captured batches) into tensors.</summary>
public static class JsonTensors
{
    /// <summary>A nested array of numbers as a float32 (default) or other dtype tensor.</summary>
    public static Tensor ToTensor(JsonNode node, ScalarType dtype = ScalarType.Float32)
    {
        var shape = new List<long>();
        var cursor = node;
        while (cursor is JsonArray a)
        {
            shape.Add(a.Count);
            if (a.Count == 0) break;
            cursor = a[0];
        }
        var values = new List<double>();
        Flatten(node, values);
        var t = tensor(values.ToArray(), shape.ToArray(), dtype: ScalarType.Float64);
        return t.to_type(dtype);
    }

    /// <summary>A captured batch tensor stored as {"dtype": "torch.int64", "shape": [...], "data": [...]}.</summary>
    public static Tensor Captured(JsonNode node)
    {
        var dtypeName = node["dtype"]!.GetValue<string>();
        var dtype = dtypeName switch
        {
            "torch.int64" => ScalarType.Int64,
            "torch.int32" => ScalarType.Int32,
            "torch.float32" => ScalarType.Float32,
            "torch.bool" => ScalarType.Bool,
            _ => throw new NotSupportedException(dtypeName),
        };
        var shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
        var values = new List<double>();
        Flatten(node["data"]!, values);
        return tensor(values.ToArray(), shape, dtype: ScalarType.Float64).to_type(dtype);
    }

    /// <summary>A JSON number, or the strings "NaN"/"Infinity" that <see cref="Fixtures.Json"/> produced.</summary>
    public static double Number(JsonNode node) => node.GetValueKind() == System.Text.Json.JsonValueKind.String
        ? double.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture)
        : node.GetValue<double>();

    static void Flatten(JsonNode node, List<double> into)
    {
        if (node is JsonArray a) foreach (var x in a) Flatten(x!, into);
        else if (node.GetValueKind() == System.Text.Json.JsonValueKind.True) into.Add(1);
        else if (node.GetValueKind() == System.Text.Json.JsonValueKind.False) into.Add(0);
        else into.Add(Number(node));
    }
}
