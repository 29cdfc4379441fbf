using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Trl.DependencyInjection;

/// <summary>Binds TRL's field names to options records: <c>learning_rate</c> (TRL's snake_case, as in YAML configs) or
/// <c>LearningRate</c> (appsettings.json style) both set <c>LearningRate</c>. Used by the hosts' configuration
/// binding and by the <c>trl</c> tool, so both accept exactly the same fields. Unknown keys are errors.</summary>
public static class OptionsBinding
{
    /// <summary>TRL's name of a property: <c>PerDeviceTrainBatchSize</c> → <c>per_device_train_batch_size</c>.</summary>
    public static string SnakeCase(string pascal)
    {
        ArgumentNullException.ThrowIfNull(pascal);
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            // A word starts at an upper-case letter after a lower-case one or a digit, or at the last capital of a run
            // followed by lower case: FDivergenceType → f_divergence_type, VespoKNeg → vespo_k_neg.
            bool wordStart = char.IsUpper(c) && i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])
                || (char.IsUpper(pascal[i - 1]) && i + 1 < pascal.Length && char.IsLower(pascal[i + 1])));
            if (wordStart) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The settable fields of an options type by TRL name.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Fields(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name != "EqualityContract" && IsText(p.PropertyType))
            .ToDictionary(p => SnakeCase(p.Name), StringComparer.Ordinal);
    }

    /// <summary>Types a field set from text can have (nested options such as peft_config are bound separately).</summary>
    static bool IsText(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(string) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(bool)
            || t == typeof(IReadOnlyList<string>) || t == typeof(IReadOnlyList<double>) || t == typeof(IReadOnlyDictionary<string, string>);
    }

    /// <summary>Sets the field named <paramref name="key"/> (snake_case or PascalCase) from its text value(s); false if
    /// the type has no such field. A value of the wrong type throws an error naming the key.</summary>
    public static bool TrySet(object options, string key, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(values);
        var fields = Fields(options.GetType());
        if (!fields.TryGetValue(key, out var prop) && !fields.TryGetValue(SnakeCase(key), out prop)) return false;
        prop.SetValue(options, Convert(key, values, prop.PropertyType));
        return true;
    }

    /// <summary>Binds every key of a configuration section (e.g. <c>"Trl:Sft"</c> of appsettings.json) onto
    /// <paramref name="options"/> and returns it.</summary>
    public static T Bind<T>(T options, IConfiguration section) where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(section);
        foreach (var child in section.GetChildren())
        {
            // A list is a section of indexed children ("loss_type": ["sigmoid", "sft"]).
            var values = child.Value is { } v ? new[] { v } : child.GetChildren().Select(c => c.Value ?? "").ToArray();
            if (!TrySet(options, child.Key, values))
                throw new ArgumentException($"{child.Path}: unknown field '{child.Key}' for {typeof(T).Name}.");
        }
        return options;
    }

    /// <summary>A kwargs field (lr_scheduler_kwargs): a JSON object, as transformers parses the string form, or
    /// <c>k=v,k2=v2</c>; values stay text for the consumer to read.</summary>
    static Dictionary<string, string> KeywordArguments(string key, string text)
    {
        text = text.Trim();
        if (text.Length == 0 || text == "{}") return new(StringComparer.Ordinal);
        if (text.StartsWith('{'))
        {
            System.Text.Json.Nodes.JsonObject o;
            try { o = System.Text.Json.Nodes.JsonNode.Parse(text) as System.Text.Json.Nodes.JsonObject ?? throw new FormatException(); }
            catch (System.Text.Json.JsonException) { throw new FormatException(); }
            return o.ToDictionary(kv => kv.Key, kv => kv.Value is System.Text.Json.Nodes.JsonValue jv && jv.TryGetValue<string>(out var str) ? str : kv.Value?.ToJsonString() ?? "null", StringComparer.Ordinal);
        }
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(pair => pair.Split('=', 2))
            .ToDictionary(kv => kv.Length == 2 ? kv[0].Trim() : throw new ArgumentException($"{key}: '{text}' is not a JSON object or k=v pairs."), kv => kv[1].Trim(), StringComparer.Ordinal);
    }

    static object? Convert(string key, IReadOnlyList<string> values, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        bool nullable = Nullable.GetUnderlyingType(type) is not null || !type.IsValueType;
        string v = values.Count > 0 ? values[^1] : "";
        if (nullable && v is "null" or "None" or "~" && target != typeof(IReadOnlyList<string>)) return null;
        if (Nullable.GetUnderlyingType(type) is not null && v.Length == 0) return null;
        try
        {
            if (target == typeof(string)) return v;
            if (target == typeof(int)) return int.Parse(v, CultureInfo.InvariantCulture);
            if (target == typeof(long)) return long.Parse(v, CultureInfo.InvariantCulture);
            if (target == typeof(double)) return double.Parse(v, CultureInfo.InvariantCulture);
            if (target == typeof(bool)) return v.ToLowerInvariant() switch { "true" or "1" or "yes" => true, "false" or "0" or "no" => false, _ => throw new FormatException() };
            if (target == typeof(IReadOnlyList<string>)) return values.ToList();
            if (target == typeof(IReadOnlyList<double>)) return values.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToList();
            if (target == typeof(IReadOnlyDictionary<string, string>)) return KeywordArguments(key, v);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{key}: '{v}' is not a valid {target.Name.ToLowerInvariant()}.");
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"{key}: '{v}' is out of range for {target.Name.ToLowerInvariant()}.");
        }
        throw new ArgumentException($"{key}: fields of type {target.Name} cannot be set from text.");
    }
}
