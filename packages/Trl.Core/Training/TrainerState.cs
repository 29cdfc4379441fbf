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
            ["log_history"] = new JsonArray(LogHistory.Select(r => (JsonNode)new JsonObject(r.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))))).ToArray()),
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads the fields needed to resume.</summary>
    public static TrainerState FromJson(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        var s = new TrainerState
        {
            GlobalStep = o["global_step"]!.GetValue<int>(),
            Epoch = o["epoch"]!.GetValue<double>(),
            MaxSteps = o["max_steps"]!.GetValue<int>(),
            NumTokens = o["num_input_tokens_seen"]?.GetValue<double>() ?? 0,
        };
        foreach (var r in o["log_history"]?.AsArray() ?? new JsonArray())
        {
            var rec = new LogRecord();
            foreach (var (k, v) in r!.AsObject()) rec[k] = v!.GetValue<double>();
            s.LogHistory.Add(rec);
        }
        return s;
    }
}
