using Trl.Cli.Arguments;

namespace Trl.Cli.Commands;

/// <summary><c>trl merge</c>: folds a LoRA adapter into its base (peft's merge_and_unload) and writes a plain Hugging
/// Face model folder — config.json, model.safetensors and the tokenizer files — that loads with no PEFT at all.</summary>
internal static class MergeCommand
{
    public const string Help = "usage: trl merge --adapter_path ADAPTER [--model_name_or_path BASE] --output_dir OUT\n" +
        "BASE defaults to the adapter's base_model_name_or_path. The tokenizer comes from the adapter folder when it has one, else from BASE.";

    static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json", "generation_config.json"];

    public static int Run(CliArguments args, TextWriter output)
    {
        if (args.Has("help")) { output.WriteLine(Help); return ExitCodes.Success; }
        var adapterPath = args.Take("adapter_path") ?? throw new CliException("--adapter_path is required.");
        var baseArgument = args.Take("model_name_or_path");
        var outputDir = args.Take("output_dir") ?? throw new CliException("--output_dir is required.");
        ConfigBinder.RejectUnknown(args, "merge");
        var (basePath, resolved) = baseArgument is null ? ModelFolders.Resolve(adapterPath, null) : ModelFolders.Resolve(baseArgument, adapterPath);
        var adapter = resolved ?? throw new FileNotFoundException($"{adapterPath}: no adapter_config.json (not a PEFT adapter folder).", Path.Combine(adapterPath, "adapter_config.json"));
        if (Path.GetFullPath(outputDir) == Path.GetFullPath(basePath) || Path.GetFullPath(outputDir) == Path.GetFullPath(adapter))
            throw new CliException("--output_dir must differ from the base and adapter folders.");

        using var model = ModelFolders.LoadCausalLM(basePath, adapter, trainable: false);
        model.Adapter!.MergeAndUnload();
        model.SavePretrained(outputDir);
        var tokenizerDir = ModelFolders.TokenizerFolder(basePath, adapter);
        foreach (var f in TokenizerFiles)
        {
            var source = File.Exists(Path.Combine(tokenizerDir, f)) ? Path.Combine(tokenizerDir, f) : Path.Combine(basePath, f);
            if (File.Exists(source)) File.Copy(source, Path.Combine(outputDir, f), overwrite: true);
        }
        output.WriteLine($"merged {adapter} into {basePath}: {Path.GetFullPath(outputDir)}");
        return ExitCodes.Success;
    }
}
