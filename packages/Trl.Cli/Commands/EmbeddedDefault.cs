using System.Reflection;

namespace Trl.Cli.Commands;

/// <summary>The tiny model config, tokenizer and string-reversal dataset that ship inside the tool, used when no
/// model or dataset is given, so `trl sft` trains something real out of the box on a CPU.</summary>
internal static class EmbeddedDefault
{
    static readonly string[] Files = { "config.json", "tokenizer.json", "tokenizer_config.json", "train.jsonl", "test.jsonl", "preference.jsonl", "prompts.jsonl", "unpaired.jsonl", "stepwise.jsonl" };

    /// <summary>Extracts the files (once per build of the tool: the folder is named by the assembly's module id, and
    /// written under a temporary name then renamed) and returns the folder.</summary>
    public static string Extract()
    {
        var asm = Assembly.GetExecutingAssembly();
        var root = Path.Combine(Path.GetTempPath(), "trl-embedded-default");
        var dir = Path.Combine(root, asm.ManifestModule.ModuleVersionId.ToString("N"));
        if (Directory.Exists(dir)) return dir;
        var tmp = Path.Combine(root, "." + Guid.NewGuid().ToString("N") + ".tmp");
        Directory.CreateDirectory(tmp);
        foreach (var f in Files)
        {
            using var s = asm.GetManifestResourceStream("EmbeddedDefault/" + f) ?? throw new InvalidOperationException($"embedded resource {f} missing");
            using var o = File.Create(Path.Combine(tmp, f));
            s.CopyTo(o);
        }
        try { Directory.Move(tmp, dir); }
        catch (IOException) when (Directory.Exists(dir)) { Directory.Delete(tmp, recursive: true); }   // another run won the race
        return dir;
    }
}
