using static TorchSharp.torch;

namespace Trl.Modeling;

/// <summary>Keys and values of past positions, per layer, for incremental decoding. Its tensors are detached
/// from dispose scopes and owned here, so a decode step's scope can end without freeing the cache.</summary>
internal sealed class KvCache : IDisposable
{
    readonly Tensor?[] _keys;
    readonly Tensor?[] _values;

    /// <summary>An empty cache for <paramref name="layers"/> layers.</summary>
    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of cached positions.</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys/values [B, kv_heads, T, D] for a layer and returns all of them.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        var oldK = _keys[layer];
        var oldV = _values[layer];
        var k = (oldK is null ? keys.alias() : cat(new[] { oldK, keys }, 2)).DetachFromDisposeScope();
        var v = (oldV is null ? values.alias() : cat(new[] { oldV, values }, 2)).DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        _keys[layer] = k;
        _values[layer] = v;
        return (k, v);
    }

    /// <summary>Keeps only the given batch rows (e.g. rows still generating).</summary>
    public void SelectRows(Tensor rowIndex)
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] is not { } k || _values[i] is not { } v) continue;
            _keys[i] = k.index_select(0, rowIndex).DetachFromDisposeScope();
            _values[i] = v.index_select(0, rowIndex).DetachFromDisposeScope();
            k.Dispose();
            v.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
    }
}
