using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Trl.Data;

/// <summary>The <c>configs:</c> of a dataset card (README.md YAML front matter), as the datasets library resolves
/// them: each config names its data files per split (<c>data_files</c>: a pattern, a list, or split/path entries) or a
/// <c>data_dir</c>; the default config is the only one, the one named <c>default</c>, or the one marked
/// <c>default: true</c>.</summary>
internal sealed class DatasetCard
{
    sealed record Config(string Name, bool IsDefault, string? DataDir, Dictionary<string, List<string>>? DataFiles);

    readonly List<Config> _configs;
    readonly string _card;

    DatasetCard(List<Config> configs, string card) { _configs = configs; _card = card; }

    /// <summary>The card's configs, or null when the folder has no card or its card declares none.</summary>
    public static DatasetCard? TryRead(string folder)
    {
        var card = Path.Combine(folder, "README.md");
        if (!File.Exists(card)) return null;
        var text = File.ReadAllText(card);
        var match = Regex.Match(text, @"\A---\r?\n(.*?)\r?\n---", RegexOptions.Singleline);
        if (!match.Success) return null;
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(match.Groups[1].Value)); }
        catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException($"{card}: the YAML front matter is not valid ({e.Message})."); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) return null;
        if (!root.Children.TryGetValue(new YamlScalarNode("configs"), out var node)) return null;
        if (node is not YamlSequenceNode list) throw new InvalidDataException($"{card}: 'configs' must be a list.");
        var configs = new List<Config>();
        foreach (var item in list)
        {
            if (item is not YamlMappingNode entry || Scalar(entry, "config_name") is not { } name)
                throw new InvalidDataException($"{card}: every entry of 'configs' needs a config_name.");
            configs.Add(new Config(name, Scalar(entry, "default") is "true" or "True", Scalar(entry, "data_dir"), DataFiles(entry, card, name)));
        }
        return new DatasetCard(configs, card);
    }

    /// <summary>The files of <paramref name="split"/> in the chosen config (null: the default one), in order; or null
    /// when that config gives no data_files (the caller then looks for split-named files under the returned folder).</summary>
    public (IReadOnlyList<string>? Files, string Folder) Resolve(string root, string? configName, string split)
    {
        var config = Choose(configName);
        var folder = config.DataDir is null ? root : Path.Combine(root, config.DataDir);
        if (config.DataFiles is null) return (null, folder);
        if (!config.DataFiles.TryGetValue(split, out var patterns))
            throw new FileNotFoundException($"{_card}: config '{config.Name}' has no split '{split}' (it has {string.Join(", ", config.DataFiles.Keys)}).");
        var all = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Rel: Path.GetRelativePath(folder, f).Replace('\\', '/'))).ToList();
        var files = new List<string>();
        foreach (var pattern in patterns)
        {
            var regex = Glob(pattern);
            var hits = all.Where(f => regex.IsMatch(f.Rel) && Path.GetFileName(f.Rel) != "README.md").Select(f => f.Full).Order(StringComparer.Ordinal).ToList();
            if (hits.Count == 0) throw new FileNotFoundException($"{_card}: config '{config.Name}', split '{split}': no file matches '{pattern}'.");
            files.AddRange(hits.Where(h => !files.Contains(h)));
        }
        return (files, folder);
    }

    /// <summary>Whether a repository path (forward slashes, relative to the card's folder) belongs to the chosen config,
    /// in any split: what a Hub download of that config needs.</summary>
    public Func<string, bool> Selects(string? configName)
    {
        var config = Choose(configName);
        var prefix = config.DataDir is null ? "" : config.DataDir.TrimEnd('/') + "/";
        if (config.DataFiles is null) return path => path.StartsWith(prefix, StringComparison.Ordinal);
        var patterns = config.DataFiles.Values.SelectMany(p => p).Select(Glob).ToList();
        return path => path.StartsWith(prefix, StringComparison.Ordinal) && patterns.Any(r => r.IsMatch(path[prefix.Length..]));
    }

    /// <summary>The files under <paramref name="folder"/> a data_files pattern names, in order (none: an error naming it).</summary>
    public static IReadOnlyList<string> Match(string folder, string pattern)
    {
        var regex = Glob(pattern);
        var hits = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => regex.IsMatch(Path.GetRelativePath(folder, f).Replace('\\', '/'))).Order(StringComparer.Ordinal).ToList();
        return hits.Count > 0 ? hits : throw new FileNotFoundException($"{folder}: no file matches data_files '{pattern}'.");
    }

    Config Choose(string? name)
    {
        if (name is not null)
            return _configs.FirstOrDefault(c => c.Name == name)
                ?? throw new FileNotFoundException($"{_card}: no config '{name}' (available: {string.Join(", ", _configs.Select(c => c.Name))}).");
        if (_configs.Count == 1) return _configs[0];
        var defaults = _configs.Where(c => c.IsDefault || c.Name == "default").ToList();
        return defaults.Count == 1 ? defaults[0]
            : throw new ArgumentException($"{_card}: config name is missing; pick one of {string.Join(", ", _configs.Select(c => c.Name))} with dataset_config.");
    }

    static Dictionary<string, List<string>>? DataFiles(YamlMappingNode entry, string card, string config)
    {
        if (!entry.Children.TryGetValue(new YamlScalarNode("data_files"), out var node)) return null;
        switch (node)
        {
            case YamlScalarNode s: return new() { ["train"] = [s.Value!] };
            case YamlMappingNode map: return map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Patterns(kv.Value));
            case YamlSequenceNode seq when seq.All(n => n is YamlScalarNode): return new() { ["train"] = Patterns(seq) };
            case YamlSequenceNode seq:
                var result = new Dictionary<string, List<string>>();
                foreach (var item in seq)
                {
                    if (item is not YamlMappingNode m || Scalar(m, "split") is not { } split || !m.Children.TryGetValue(new YamlScalarNode("path"), out var path))
                        throw new InvalidDataException($"{card}: config '{config}': each data_files entry needs 'split' and 'path'.");
                    result[split] = Patterns(path);
                }
                return result;
            default: throw new InvalidDataException($"{card}: config '{config}': data_files is not a pattern, a list or split/path entries.");
        }
    }

    static List<string> Patterns(YamlNode node) => node switch
    {
        YamlScalarNode s => [s.Value!],
        YamlSequenceNode seq => seq.OfType<YamlScalarNode>().Select(s => s.Value!).ToList(),
        _ => [],
    };

    static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    /// <summary>fsspec/glob semantics: <c>*</c> stays within a folder, <c>**/</c> spans any number of folders.</summary>
    static Regex Glob(string pattern)
    {
        var sb = new System.Text.StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                bool slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                sb.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else if (c == '[') { int end = pattern.IndexOf(']', i + 1); if (end < 0) sb.Append(@"\["); else { sb.Append(pattern, i, end - i + 1); i = end; } }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
