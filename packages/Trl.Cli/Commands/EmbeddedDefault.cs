using System.Reflection;

namespace Trl.Cli.Commands;

/// <summary>The tiny model config, tokenizer and string-reversal dataset that ship inside the tool, used when no
/// model or dataset is given, so `trl sft` trains something real out of the box on a CPU.</summary>
internal static class EmbeddedDefault
{
    static readonly string[] Files = { "config.json", "tokenizer.json", "tokenizer_config.json", "train.jsonl", "test.jsonl", "preference.jsonl", "prompts.jsonl", "unpaired.jsonl", "stepwise.jsonl" };

    /// <summary>Extracts the files into a fresh folder and returns it.</summary>
    public static string Extract()
    {
        var dir = Path.Combine(Path.GetTempPath(), "trl-embedded-default", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var asm = Assembly.GetExecutingAssembly();
        foreach (var f in Files)
        {
            using var s = asm.GetManifestResourceStream("EmbeddedDefault/" + f) ?? throw new InvalidOperationException($"embedded resource {f} missing");
            using var o = File.Create(Path.Combine(dir, f));
            s.CopyTo(o);
        }
        return dir;
    }
}
