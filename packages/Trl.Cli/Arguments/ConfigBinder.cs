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
