using Trl.Cli.Arguments;
using Trl.Sft;

namespace Trl.Cli.Tests;

/// <summary>TRL-style arguments: YAML plus flags, flags win, snake_case names, lists, unknown keys rejected.</summary>
public class ArgumentTests
{
    static string Yaml(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"trl-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void FlagsOverrideYamlAndBindToConfigFields()
    {
        var yaml = Yaml("learning_rate: 1.0e-4\nmax_steps: 7\nloss_type: nll\nbf16: false\n");
        var args = CliArguments.Parse(new[] { "--config", yaml, "--max_steps", "9", "--gradient-accumulation-steps=3", "--bf16" });
        var config = ConfigBinder.Bind(new SftConfig(), args);
        Assert.That(config.LearningRate, Is.EqualTo(1e-4));
        Assert.That(config.MaxSteps, Is.EqualTo(9));
        Assert.That(config.GradientAccumulationSteps, Is.EqualTo(3));
        Assert.That(config.LossType, Is.EqualTo("nll"));
        Assert.That(config.Bf16, Is.True);
        Assert.That(args.Values, Is.Empty);
    }

    [Test]
    public void ListsAcceptYamlListsCommaValuesAndSingleValues()
    {
        var yaml = Yaml("loss_type:\n  - sigmoid\n  - sft\n");
        Assert.That(CliArguments.Parse(new[] { "--config", yaml }).Values["loss_type"], Is.EqualTo(new[] { "sigmoid", "sft" }));
        Assert.That(CliArguments.Parse(new[] { "--loss_type", "sigmoid,sft" }).Values["loss_type"], Is.EqualTo(new[] { "sigmoid", "sft" }));
        Assert.That(CliArguments.Parse(new[] { "--loss_type", "sigmoid" }).Values["loss_type"], Is.EqualTo(new[] { "sigmoid" }));
    }

    [Test]
    public void UnknownKeyFromYamlIsAnErrorNamingTheKey()
    {
        var yaml = Yaml("learning_rate: 1.0e-4\nlerning_rate_typo: 3\n");
        var (code, _, error) = CliRunner.Run("sft", "--config", yaml);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("lerning_rate_typo"));
    }

    [Test]
    public void BadValueAndMissingFileGiveOneLineReasonsAndExitCodes()
    {
        var (code, _, error) = CliRunner.Run("sft", "--max_steps", "many");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--max_steps").And.Contain("many"));
        (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", "/nonexistent/model", "--dataset_name", "/nonexistent/data.jsonl");
        Assert.That(code, Is.EqualTo(4));
        Assert.That(error, Does.Contain("/nonexistent"));
    }

    [Test]
    public void BadRowNamesFileRowAndField()
    {
        var data = Path.Combine(Path.GetTempPath(), $"trl-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(data, "{\"prompt\": \"the cat\", \"completion\": \" sat\"}\n{\"prompt\": \"the dog\", \"completion\": 5}\n");
        var (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", Testing.Fixtures.Trl("models", "qwen2_tiny"),
            "--tokenizer_name_or_path", Testing.Fixtures.Trl("tokenizer"), "--dataset_name", data, "--max_steps", "1");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(error, Does.Contain(data).And.Contain("row 2").And.Contain("'completion'"));
        string output;
        (code, output, error) = CliRunner.Run("sft", "--model_name_or_path", Testing.Fixtures.Trl("models", "qwen2_tiny"),
            "--tokenizer_name_or_path", Testing.Fixtures.Trl("tokenizer"), "--dataset_name", data, "--max_steps", "1",
            "--bad_rows", "skip", "--output_dir", CliRunner.TempDir());
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("1 examples").And.Contain("1 bad rows skipped"));
    }

    [Test]
    public void HelpListsEveryFieldWithItsDefault()
    {
        var (code, output, _) = CliRunner.Run("sft", "--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("--learning_rate").And.Contain("2E-05").And.Contain("--loss_type").And.Contain("chunked_nll").And.Contain("--max_length"));
    }

    [Test]
    public void TokenizerLargerThanTheModelVocabularyIsAClearError()
    {
        var dir = CliRunner.TempDir();
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"),
            "{\"model\":{\"type\":\"WordLevel\",\"unk_token\":\"<unk>\",\"vocab\":{\"<unk>\":0,\"hello\":600}},\"normalizer\":{\"type\":\"Lowercase\"},\"pre_tokenizer\":{\"type\":\"Whitespace\"}}");
        var data = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(data, "{\"text\": \"hello\"}\n");
        var (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", Testing.Fixtures.Trl("models", "qwen2_tiny"),
            "--tokenizer_name_or_path", dir, "--dataset_name", data, "--max_steps", "1");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(error, Does.Contain("601 ids").And.Contain("vocab_size is 512"));
    }

    [Test]
    public void TrainingArgumentsThatChangeNothingHereAreAcceptedAndOnesThatWouldAreErrors()
    {
        // A TRL config's report_to, use_cpu, dataloader workers ... move over unchanged (the kto/cpo/orpo/bco YAMLs
        // carry them verbatim); fp16 or a quantised base would change the run, so they are refused with a reason.
        var (code, _, error) = CliRunner.Run("sft", "--fp16", "true", "--max_steps", "1");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("--fp16 true: fp16 is not supported"));
        (code, _, error) = CliRunner.Run("dpo", "--use_peft", "true", "--load_in_4bit", "true", "--max_steps", "1");
        Assert.That(error, Does.Contain("load_in_4bit / load_in_8bit (QLoRA) are not supported"));
        (code, _, error) = CliRunner.Run("sft", "--save_strategy", "best", "--max_steps", "1");
        Assert.That(error, Does.Contain("save_strategy must be steps, epoch or no"));
    }

    [TestCase("FDivergenceType", "f_divergence_type")]
    [TestCase("FAlphaDivergenceCoef", "f_alpha_divergence_coef")]
    [TestCase("VespoKNeg", "vespo_k_neg")]
    [TestCase("PerDeviceTrainBatchSize", "per_device_train_batch_size")]
    [TestCase("Bf16", "bf16")]
    [TestCase("RefModelSyncSteps", "ref_model_sync_steps")]
    public void PropertyNamesMapToTrlFieldNames(string property, string trlName) =>
        Assert.That(ConfigBinder.SnakeCase(property), Is.EqualTo(trlName));

    [Test]
    public void EveryConfigFieldOfEveryTrainerHasAnUnambiguousTrlName()
    {
        // Each trainer's config binds every TRL name it declares, and no two properties share a name.
        foreach (var type in new[] { typeof(Trl.Sft.SftConfig), typeof(Trl.Dpo.DpoConfig), typeof(Trl.Grpo.GrpoConfig), typeof(Trl.Reward.RewardConfig),
                     typeof(Trl.Kto.KtoConfig), typeof(Trl.Cpo.CpoConfig), typeof(Trl.Orpo.OrpoConfig), typeof(Trl.Bco.BcoConfig), typeof(Trl.Prm.PrmConfig) })
        {
            var names = type.GetProperties().Where(p => p.CanWrite && p.Name != "EqualityContract").Select(p => ConfigBinder.SnakeCase(p.Name)).ToList();
            Assert.That(names, Is.Unique, type.Name);
        }
        var dpo = ConfigBinder.Bind(new Trl.Dpo.DpoConfig(), CliArguments.Parse(new[] { "--f_divergence_type", "js_divergence", "--f_alpha_divergence_coef", "0.3", "--sync_ref_model", "true" }));
        Assert.That((dpo.FDivergenceType, dpo.FAlphaDivergenceCoef, dpo.SyncRefModel), Is.EqualTo(("js_divergence", 0.3, true)));
    }
}
