using YamlDotNet.RepresentationModel;

namespace Trl.Cli.Arguments;

/// <summary>Command-line values in TRL's form: <c>--key value</c>, <c>--key=value</c>, bare <c>--flag</c> (true), and
/// <c>--config file.yaml</c> holding the same keys. Flags override the YAML. Lists (e.g. loss_type) accept a YAML
/// list, a comma-separated value or a single value.</summary>
internal sealed class CliArguments
{
    public Dictionary<string, List<string>> Values { get; } = new(StringComparer.Ordinal);

    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        var flags = new List<(string Key, List<string> Values)>();
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new CliException($"unexpected argument '{a}' (arguments look like --name value).");
            var key = a[2..];
            string? value = null;
            int eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) { value = key[(eq + 1)..]; key = key[..eq]; }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) value = args[++i];
            flags.Add((key.Replace('-', '_'), new List<string> { value ?? "true" }));
        }
        var result = new CliArguments();
        var config = flags.LastOrDefault(f => f.Key == "config");
        if (config.Key is not null) result.LoadYaml(config.Values[0]);
        foreach (var (key, values) in flags.Where(f => f.Key != "config"))
            result.Values[key] = values.Count == 1 && values[0].Contains(',', StringComparison.Ordinal) && !values[0].Contains(' ', StringComparison.Ordinal)
                ? values[0].Split(',').ToList() : values;
        return result;
    }

    void LoadYaml(string path)
    {
        if (!File.Exists(path)) throw new CliException($"config file not found: {path}");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new CliException($"{path}: invalid YAML at line {e.Start.Line}: {e.Message}");
        }
        if (stream.Documents.Count == 0) return;
        if (stream.Documents[0].RootNode is not YamlMappingNode map) throw new CliException($"{path}: expected a mapping of field: value.");
        foreach (var (k, v) in map.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            Values[key] = v switch
            {
                YamlScalarNode s => new List<string> { s.Value ?? "" },
                YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode) => seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList(),
                // A list of mappings (TRL's `datasets:` mixture) travels as JSON for the field that reads it.
                YamlSequenceNode seq => new List<string> { ToJson(seq)!.ToJsonString() },
                // A flat mapping (lr_scheduler_kwargs: {min_lr_rate: 0.1}) travels as the JSON object transformers also accepts.
                YamlMappingNode m when m.Children.All(c => c.Key is YamlScalarNode && c.Value is YamlScalarNode) => new List<string>
                {
                    new System.Text.Json.Nodes.JsonObject(m.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "",
                        (System.Text.Json.Nodes.JsonNode?)System.Text.Json.Nodes.JsonValue.Create(((YamlScalarNode)c.Value).Value)))).ToJsonString(),
                },
                _ => throw new CliException($"{path}: field '{key}' must be a value, a list or a flat mapping."),
            };
        }
    }

    static System.Text.Json.Nodes.JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value is null or "~" or "null" ? null : System.Text.Json.Nodes.JsonValue.Create(s.Value),
        YamlSequenceNode seq => new System.Text.Json.Nodes.JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlMappingNode map => new System.Text.Json.Nodes.JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        _ => null,
    };

    public string? Take(string key) => Values.Remove(key, out var v) ? v[^1] : null;

    public bool Has(string key) => Values.ContainsKey(key);
}
