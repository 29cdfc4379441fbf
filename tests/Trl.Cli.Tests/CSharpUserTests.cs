using Microsoft.Extensions.Logging.Abstractions;
using Trl.Data;
using Trl.Modeling;
using Trl.Sft;
using Trl.Testing;
using Trl.Tokenization;
using Trl.Training;

namespace Trl.Cli.Tests;

/// <summary>What a C# user gets: a trainer reports its progress on the console unless told not to, and a model saved
/// with its tokenizer is a complete Hugging Face folder (transformers' files) that `trl generate` and
/// TokenizerLoader load back unchanged. Starts from tests/fixtures/hf/qwen2_tiny_chatml, a transformers-written model
/// and its tokenizer in one folder.</summary>
[NonParallelizable]
public class CSharpUserTests
{
    static string ModelFolder => Path.Combine(Fixtures.Root, "hf", "qwen2_tiny_chatml");

    static IReadOnlyList<SftExample> Examples(ITextTokenizer tokenizer, SftConfig config) =>
        new SftDatasetPreparer(tokenizer, config).Prepare(Enumerable.Range(1, 8).Select(i => new DatasetRow(new System.Text.Json.Nodes.JsonObject
        {
            ["messages"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"role": "user", "content": "a b"}, {"role": "assistant", "content": "b a"}]"""),
        }, "memory", i))).Examples;

    [Test]
    public void A_model_saved_with_its_tokenizer_is_a_complete_hf_folder()
    {
        var outDir = CliRunner.TempDir();
        var tokenizer = TokenizerLoader.FromPretrained(ModelFolder);
        using var model = CausalLM.FromPretrained(ModelFolder);
        var config = new SftConfig { OutputDir = outDir, MaxSteps = 2, LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, LoggingSteps = 1 };
        using (var trainer = new SftTrainer(model, config, Examples(tokenizer, config), padTokenId: tokenizer.Special.PadTokenId ?? 0, NullLogger.Instance))
            trainer.Train();
        model.SavePretrained(outDir, tokenizer);

        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja" })
            Assert.That(File.Exists(Path.Combine(outDir, f)), Is.True, f);
        Assert.That(File.ReadAllBytes(Path.Combine(outDir, "tokenizer.json")), Is.EqualTo(File.ReadAllBytes(Path.Combine(ModelFolder, "tokenizer.json"))));
        var reloaded = TokenizerLoader.FromPretrained(outDir);
        Assert.That(reloaded.Encode("<|im_start|>user a b c<|im_end|>"), Is.EqualTo(tokenizer.Encode("<|im_start|>user a b c<|im_end|>")));
        Assert.That(reloaded.Special, Is.EqualTo(tokenizer.Special));
        Assert.That(reloaded.ChatTemplate, Is.EqualTo(tokenizer.ChatTemplate));

        var (code, output, error) = CliRunner.Run("generate", "--model_name_or_path", outDir, "--prompt", "a b", "--max_new_tokens", "3", "--do_sample", "false");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Is.Not.Empty);
    }

    [Test]
    public void A_trainer_reports_progress_on_the_console_unless_given_a_logger()
    {
        var saved = (Console.Out, TrainingLog.Default);
        using var console = new StringWriter();
        try
        {
            Console.SetOut(console);
            TrainingLog.Default = TrainingLog.Console;   // what a process starts with (CliApp set NullLogger in this one)
            var tokenizer = TokenizerLoader.FromPretrained(ModelFolder);
            using var model = CausalLM.FromPretrained(ModelFolder);
            var config = new SftConfig { OutputDir = CliRunner.TempDir(), MaxSteps = 2, LearningRate = 1e-3, PerDeviceTrainBatchSize = 4, LoggingSteps = 1 };
            using (var trainer = new SftTrainer(model, config, Examples(tokenizer, config), padTokenId: 0)) trainer.Train();
            Assert.That(console.ToString(), Does.Contain("[trl] step 1/2: loss=").And.Contain("[trl] step 2/2: loss="));
            var before = console.ToString().Length;
            using (var quiet = new SftTrainer(model, config with { OutputDir = CliRunner.TempDir() }, Examples(tokenizer, config), padTokenId: 0, NullLogger.Instance)) quiet.Train();
            Assert.That(console.ToString(), Has.Length.EqualTo(before), "NullLogger.Instance opts out");
        }
        finally
        {
            Console.SetOut(saved.Out);
            TrainingLog.Default = saved.Default;
        }
    }
}
