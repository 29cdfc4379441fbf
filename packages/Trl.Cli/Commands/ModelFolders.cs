using Trl.Cli.Arguments;
using Trl.Hub;
using Trl.Modeling;
using Trl.Peft;

namespace Trl.Cli.Commands;

/// <summary>What a <c>--model_name_or_path</c> names: a model folder, or a PEFT adapter folder whose
/// adapter_config.json names its base (or <c>--adapter_path DIR</c> on top of a base folder), as transformers'
/// from_pretrained and AutoPeftModel resolve them. Any of them may be a Hub id (<c>org/name</c>): it resolves to its
/// snapshot in the Hugging Face cache, downloaded when missing (<see cref="HubPaths"/>).</summary>
internal static class ModelFolders
{
    /// <summary>The base model folder and the adapter folder (null when there is none).</summary>
    public static (string BasePath, string? AdapterPath) Resolve(string modelPath, string? adapterPath, string? revision = null)
    {
        modelPath = Local(modelPath, revision);
        if (adapterPath is not null) adapterPath = Local(adapterPath, null);
        if (adapterPath is not null)
        {
            if (!LoraAdapter.IsAdapterFolder(adapterPath))
                throw new FileNotFoundException($"{adapterPath}: no adapter_config.json (not a PEFT adapter folder).", Path.Combine(adapterPath, "adapter_config.json"));
            return (modelPath, adapterPath);
        }
        if (!LoraAdapter.IsAdapterFolder(modelPath) || File.Exists(Path.Combine(modelPath, "config.json"))) return (modelPath, null);
        var basePath = LoraAdapter.ReadConfig(modelPath).BaseModelNameOrPath;
        if (basePath is not null) basePath = Local(basePath, null);
        if (basePath is null || !File.Exists(Path.Combine(basePath, "config.json")))
            throw new CliException($"{modelPath} is an adapter whose base_model_name_or_path ({basePath ?? "None"}) is neither a local model folder nor a Hub id: give --model_name_or_path BASE --adapter_path {modelPath}.");
        return (basePath, modelPath);
    }

    /// <summary>The local folder of a path or Hub id (progress of a download goes to stderr).</summary>
    public static string Local(string nameOrPath, string? revision) => HubPaths.ResolveModel(nameOrPath, revision, Console.Error);

    /// <summary>A causal LM with its adapter, if any (trainable when it is to be trained further).</summary>
    public static CausalLM LoadCausalLM(string modelPath, string? adapterPath, bool trainable)
    {
        var (basePath, adapter) = Resolve(modelPath, adapterPath);
        var model = CausalLM.FromPretrained(basePath);
        if (adapter is null) return model;
        try
        {
            LoraAdapter.Load(model, adapter, trainable);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Where the tokenizer is: the adapter folder when it has one (TRL saves it there), else the base.</summary>
    public static string TokenizerFolder(string basePath, string? adapterPath) =>
        adapterPath is not null && File.Exists(Path.Combine(adapterPath, "tokenizer.json")) ? adapterPath : basePath;
}
