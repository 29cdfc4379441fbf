using System.Globalization;
using System.Reflection;
using System.Text;

namespace Trl.Cli.Arguments;

/// <summary>Binds snake_case keys (TRL's field names) to the PascalCase properties of a config record, and lists
/// every field with its default for --help. Unknown keys are errors that name the key.</summary>
internal static class ConfigBinder
{
    public static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1]))) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    static IEnumerable<PropertyInfo> Fields(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.Name != "EqualityContract");

    public static T Bind<T>(T defaults, CliArguments args) where T : class
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var props = Fields(typeof(T)).ToDictionary(p => SnakeCase(p.Name), StringComparer.Ordinal);
        foreach (var (key, values) in args.Values.ToList())
        {
            if (!props.TryGetValue(key, out var prop)) continue;
            prop.SetValue(defaults, Convert(key, values, prop.PropertyType));
            args.Values.Remove(key);
        }
        return defaults;
    }

    static object? Convert(string key, List<string> values, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        string v = values[^1];
        if (Nullable.GetUnderlyingType(type) is not null && (v is "null" or "None" or "~" or "")) return null;
        try
        {
            if (target == typeof(string)) return v is "null" or "None" ? null : v;
            if (target == typeof(int)) return int.Parse(v, CultureInfo.InvariantCulture);
            if (target == typeof(long)) return long.Parse(v, CultureInfo.InvariantCulture);
            if (target == typeof(double)) return double.Parse(v, CultureInfo.InvariantCulture);
            if (target == typeof(bool)) return v.ToLowerInvariant() switch { "true" or "1" or "yes" => true, "false" or "0" or "no" => false, _ => throw new FormatException() };
            if (target == typeof(IReadOnlyList<string>)) return values;
            if (target == typeof(IReadOnlyList<double>)) return values.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToList();
        }
        catch (FormatException)
        {
            throw new CliException($"--{key}: '{v}' is not a valid {target.Name.ToLowerInvariant()}.");
        }
        throw new CliException($"--{key}: fields of type {target.Name} cannot be set from the command line.");
    }

    public static string Help<T>(T defaults, IEnumerable<(string Key, string Default, string Help)> extra)
    {
        var sb = new StringBuilder();
        foreach (var (k, d, h) in extra) sb.AppendLine(CultureInfo.InvariantCulture, $"  --{k,-34} {h} (default: {d})");
        foreach (var p in Fields(typeof(T)).OrderBy(p => SnakeCase(p.Name), StringComparer.Ordinal))
        {
            var value = p.GetValue(defaults);
            var shown = value switch { null => "None", IEnumerable<string> l when value is not string => string.Join(",", l), IFormattable f => f.ToString(null, CultureInfo.InvariantCulture), _ => value.ToString() };
            sb.AppendLine(CultureInfo.InvariantCulture, $"  --{SnakeCase(p.Name),-34} (default: {shown})");
        }
        return sb.ToString();
    }

    public static void RejectUnknown(CliArguments args, string command)
    {
        CompatibilityKeys.Consume(args);
        if (args.Values.Count == 0) return;
        throw new CliException($"unknown field '{args.Values.Keys.First()}' for 'trl {command}' (see trl {command} --help).");
    }
}
