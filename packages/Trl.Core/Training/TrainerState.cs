using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trl.Training;

/// <summary>Progress of a run, saved as transformers' trainer_state.json.</summary>
public sealed class TrainerState
{
    /// <summary>Optimizer steps taken.</summary>
    public int GlobalStep { get; set; }
    /// <summary>Fractional epoch.</summary>
    public double Epoch { get; set; }
    /// <summary>Planned optimizer steps.</summary>
    public int MaxSteps { get; set; }
    /// <summary>Optimizer steps per epoch.</summary>
    public int StepsPerEpoch { get; set; }
    /// <summary>Every log record so far.</summary>
    public List<LogRecord> LogHistory { get; } = new();
    /// <summary>Cumulative tokens seen (TRL's num_tokens).</summary>
    public double NumTokens { get; set; }

    /// <summary>trainer_state.json as transformers writes it (the fields it shares with ours).</summary>
    public string ToJson(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = new JsonObject
        {
            ["global_step"] = GlobalStep,
            ["epoch"] = Epoch,
            ["max_steps"] = MaxSteps,
            ["num_train_epochs"] = StepsPerEpoch == 0 ? 0 : (int)Math.Ceiling((double)MaxSteps / StepsPerEpoch),
            ["logging_steps"] = options.LoggingSteps,
            ["save_steps"] = options.SaveSteps,
            ["train_batch_size"] = options.PerDeviceTrainBatchSize,
            ["num_input_tokens_seen"] = NumTokens,
            ["log_history"] = new JsonArray(LogHistory.Select(r => (JsonNode)new JsonObject(r.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Number(kv.Value))))).ToArray()),
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A metric as JSON: NaN and infinities (which JSON has no numbers for) as the strings Python's json writes.</summary>
    static JsonNode Number(double v) => double.IsFinite(v) ? JsonValue.Create(v)
        : JsonValue.Create(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");

    static double ReadNumber(JsonNode? node, string what) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is "NaN" or "Infinity" or "-Infinity" =>
            v.GetValue<string>() switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity },
        _ => throw new InvalidDataException($"{what} must be a number."),
    };

    /// <summary>Reads the fields needed to resume; <paramref name="source"/> names the file in errors.</summary>
    public static TrainerState FromJson(string json, string source = "trainer_state.json")
    {
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON: {e.Message}", e); }
        int Int(string key) => ReadNumber(o[key], $"{source}: {key}") is var d && d == Math.Floor(d) && d is >= 0 and <= int.MaxValue ? (int)d
            : throw new InvalidDataException($"{source}: {key} must be a non-negative integer.");
        var s = new TrainerState
        {
            GlobalStep = Int("global_step"),
            Epoch = ReadNumber(o["epoch"], $"{source}: epoch"),
            MaxSteps = Int("max_steps"),
            NumTokens = o["num_input_tokens_seen"] is null ? 0 : ReadNumber(o["num_input_tokens_seen"], $"{source}: num_input_tokens_seen"),
        };
        if (o["log_history"] is not (null or JsonArray)) throw new InvalidDataException($"{source}: log_history must be a list.");
        int i = 0;
        foreach (var r in o["log_history"]?.AsArray() ?? new JsonArray())
        {
            if (r is not JsonObject record) throw new InvalidDataException($"{source}: log_history[{i}] must be an object.");
            var rec = new LogRecord();
            foreach (var (k, v) in record) rec[k] = ReadNumber(v, $"{source}: log_history[{i}].{k}");
            s.LogHistory.Add(rec);
            i++;
        }
        return s;
    }
}
