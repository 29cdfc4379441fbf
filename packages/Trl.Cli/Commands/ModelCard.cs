using System.Globalization;
using System.Text;
using Trl.Hub;
using Trl.Training;

namespace Trl.Cli.Commands;

/// <summary>The model card (output_dir/README.md) a finished run leaves, as TRL's trainers write one: Hub card metadata
/// (base_model, datasets, library_name, tags) and a short account of the training — what a model pushed to the Hub
/// shows on its page. An existing README.md is never overwritten.</summary>
internal sealed class ModelCard(string command, string? baseModel, string? dataset)
{
    public void Write(string outputDir, TrainerState state, string? hubModelId)
    {
        var path = Path.Combine(outputDir, "README.md");
        if (File.Exists(path)) return;
        var name = hubModelId ?? Path.GetFileName(Path.GetFullPath(outputDir).TrimEnd(Path.DirectorySeparatorChar));
        var hubBase = baseModel is not null && HubPaths.IsRepoId(baseModel) ? baseModel : null;
        var hubData = dataset is not null && HubPaths.IsRepoId(dataset) ? dataset : null;
        var sb = new StringBuilder("---\n");
        if (hubBase is not null) sb.Append(CultureInfo.InvariantCulture, $"base_model: {hubBase}\n");
        if (hubData is not null) sb.Append(CultureInfo.InvariantCulture, $"datasets: {hubData}\n");
        sb.Append("library_name: transformers\n");
        sb.Append(CultureInfo.InvariantCulture, $"model_name: {name}\n");
        sb.Append(CultureInfo.InvariantCulture, $"tags:\n- generated_from_trainer\n- trl\n- trl.net\n- {command}\n---\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"# {name}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Trained with Trl.NET (`trl {command}`, the .NET counterpart of TRL's {command.ToUpperInvariant()} trainer) ");
        sb.Append(baseModel is null ? "from the embedded tiny model" : $"from {(hubBase is not null ? $"[{hubBase}](https://huggingface.co/{hubBase})" : "a local model")}");
        sb.Append(dataset is null ? " on the embedded reversal data" : $" on {(hubData is not null ? $"[{hubData}](https://huggingface.co/datasets/{hubData})" : dataset.StartsWith("a datasets", StringComparison.Ordinal) ? dataset : "a local dataset")}");
        sb.Append(CultureInfo.InvariantCulture, $", for {state.GlobalStep} optimizer steps. The folder loads with transformers' `from_pretrained` (and with Trl.NET's `CausalLM.FromPretrained`).\n\n");
        if (state.LogHistory.Count > 0)
        {
            var last = state.LogHistory.LastOrDefault(r => !r.Keys.Any(k => k.StartsWith("eval_", StringComparison.Ordinal))) ?? state.LogHistory[^1];
            sb.Append("## Last logged metrics\n\n| metric | value |\n|---|---|\n");
            foreach (var (k, v) in last.Where(kv => kv.Key is not "step").OrderBy(kv => kv.Key, StringComparer.Ordinal))
                sb.Append(CultureInfo.InvariantCulture, $"| {k} | {v:G5} |\n");
            sb.Append('\n');
        }
        sb.Append(CultureInfo.InvariantCulture, $"Every logged metric is in `metrics.jsonl`, the run's state and log history in `trainer_state.json`.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Framework versions: Trl.NET {typeof(ModelCard).Assembly.GetName().Version?.ToString(3)}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3)}, .NET {Environment.Version}.\n");
        File.WriteAllText(path, sb.ToString());
    }
}
