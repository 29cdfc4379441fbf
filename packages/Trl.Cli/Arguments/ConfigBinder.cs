using System.Globalization;
using System.Reflection;
using System.Text;
using Trl.DependencyInjection;

namespace Trl.Cli.Arguments;

/// <summary>Binds snake_case keys (TRL's field names) to the PascalCase properties of a config record, and lists
/// every field with its default for --help. Unknown keys are errors that name the key.</summary>
internal static class ConfigBinder
{
    public static string SnakeCase(string pascal) => OptionsBinding.SnakeCase(pascal);

    static IEnumerable<PropertyInfo> Fields(Type t) => OptionsBinding.Fields(t).Values;

    public static T Bind<T>(T defaults, CliArguments args) where T : class
    {
        ArgumentNullException.ThrowIfNull(defaults);
        foreach (var (key, values) in args.Values.ToList())
        {
            try
            {
                if (OptionsBinding.TrySet(defaults, key, values)) args.Values.Remove(key);
            }
            catch (ArgumentException e) { throw new CliException("--" + e.Message); }
        }
        return defaults;
    }

    /// <summary>Every field with its one-line description, its default, and — when a bare run (the embedded default)
    /// uses another value — that value too.</summary>
    public static string Help<T>(T defaults, T? embedded, IEnumerable<(string Key, string Default, string Help)> extra) where T : class
    {
        var sb = new StringBuilder();
        foreach (var (k, d, h) in extra) sb.AppendLine(CultureInfo.InvariantCulture, $"  --{k,-34} {h} (default: {d})");
        foreach (var p in Fields(typeof(T)).OrderBy(p => SnakeCase(p.Name), StringComparer.Ordinal))
        {
            var shown = Show(p.GetValue(defaults));
            var bare = embedded is null ? shown : Show(p.GetValue(embedded));
            var doc = FieldDocs.Of(p);
            sb.AppendLine(CultureInfo.InvariantCulture, $"  --{SnakeCase(p.Name),-34} {(doc.Length > 0 ? doc + " " : "")}(default: {shown}{(bare != shown ? $"; a bare run uses {bare}" : "")})");
        }
        return sb.ToString();
    }

    static string? Show(object? value) => value switch
    {
        null => "None",
        IReadOnlyDictionary<string, string> d => d.Count == 0 ? "{}" : "{" + string.Join(", ", d.Select(kv => $"{kv.Key}: {kv.Value}")) + "}",
        IEnumerable<string> l when value is not string => string.Join(",", l),
        System.Collections.IEnumerable l when value is not string => string.Join(",", l.Cast<object>()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The snake_case field names of a config type.</summary>
    public static IEnumerable<string> FieldNames(Type type) => Fields(type).Select(p => SnakeCase(p.Name)).Distinct();

    /// <summary>Consumes the compatibility keys (returning their notices) and refuses any key left, suggesting the
    /// closest of <paramref name="known"/> when one is close.</summary>
    public static List<string> RejectUnknown(CliArguments args, string command, IEnumerable<string>? known = null)
    {
        var notices = CompatibilityKeys.Consume(args);
        if (args.Values.Count == 0) return notices;
        var key = args.Values.Keys.First();
        var suggestion = Closest(key, (known ?? []).Concat(CompatibilityKeys.Names));
        throw new CliException($"unknown field '{key}' for 'trl {command}'{(suggestion is null ? "" : $"; did you mean '{suggestion}'?")} (see trl {command} --help).");
    }

    /// <summary>The candidate nearest to <paramref name="key"/> by edit distance, if near enough to be a typo.</summary>
    public static string? Closest(string key, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(key);
        var best = candidates.Distinct().Select(c => (Name: c, Distance: EditDistance(key, c))).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, key.Length / 3) ? best.Name : null;
    }

    static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
