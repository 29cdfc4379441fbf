using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Trl.Testing;

namespace Trl.Cli.Tests;

/// <summary>Malformed and hostile input, one table per file kind, through the CLI: every case ends in one
/// <c>trl: error:</c> line with the documented exit code, naming the file (and for data the row and field) —
/// never a stack trace, a hang or a huge allocation.</summary>
public class MalformedInputTests
{
    /// <summary>A writable copy of the tiny model with its tokenizer, and a copy of the SFT rows.</summary>
    sealed class Workspace
    {
        public Workspace()
        {
            Root = CliRunner.TempDir();
            Model = Path.Combine(Root, "model");
            Directory.CreateDirectory(Model);
            foreach (var f in Directory.GetFiles(Fixtures.Trl2("models", "qwen2_tiny"))) File.Copy(f, Path.Combine(Model, Path.GetFileName(f)));
            foreach (var f in Directory.GetFiles(Fixtures.Trl("tokenizer"))) File.Copy(f, Path.Combine(Model, Path.GetFileName(f)));
            Data = Path.Combine(Root, "train.jsonl");
            File.Copy(Path.Combine(Fixtures.Root, "cli", "rows", "sft.jsonl"), Data);
        }

        public string Root { get; }
        public string Model { get; }
        public string Data { get; }
        public string ModelFile(string name) => Path.Combine(Model, name);

        public (int Code, string Error) Sft(params string[] extra)
        {
            var (code, _, error) = CliRunner.Run(["sft", "--model_name_or_path", Model, "--dataset_name", Data, "--output_dir", Path.Combine(Root, "out"),
                "--max_steps", "1", "--per_device_train_batch_size", "2", .. extra]);
            return (code, error);
        }
    }

    static void AssertOneLineError((int Code, string Error) result, int code, params string[] mentions)
    {
        Assert.That(result.Error, Does.StartWith("trl: error: "), "the error line");
        Assert.That(result.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), $"one line: {result.Error}");
        Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(result.Code, Is.EqualTo(code), result.Error);
        foreach (var m in mentions) Assert.That(result.Error, Does.Contain(m));
    }

    static string Edit(string json, Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    public static IEnumerable<TestCaseData> ConfigJson() => new (string Name, Func<string, string> Mutate)[]
    {
        ("list instead of object", _ => "[1, 2]"),
        ("string where a number belongs", j => Edit(j, o => o["hidden_size"] = "sixty-four")),
        ("object where a string belongs", j => Edit(j, o => o["model_type"] = new JsonObject())),
        ("number where a list belongs", j => Edit(j, o => o["eos_token_id"] = new JsonObject { ["a"] = 1 })),
        ("huge hidden size", j => Edit(j, o => o["hidden_size"] = 1_000_000_000)),
        ("negative layers", j => Edit(j, o => o["num_hidden_layers"] = -3)),
        ("dimensions that do not match the weights", j => Edit(j, o => o["intermediate_size"] = 256)),
        ("more layers than the weights", j => Edit(j, o => o["num_hidden_layers"] = 3)),
        ("duplicate keys", j => j.TrimEnd().TrimEnd('}') + ", \"hidden_size\": 64, \"hidden_size\": 32}"),
        ("invalid UTF-16 escape", j => j.TrimEnd().TrimEnd('}') + ", \"model_type\": \"\\ud800\"}"),
        ("not JSON", _ => "{ model_type: qwen2"),
        ("empty", _ => ""),
    }.Select(c => new TestCaseData(c.Mutate).SetName($"ConfigJson({c.Name})"));

    [TestCaseSource(nameof(ConfigJson))]
    public void MalformedConfigJson(Func<string, string> mutate)
    {
        var w = new Workspace();
        File.WriteAllText(w.ModelFile("config.json"), mutate(File.ReadAllText(w.ModelFile("config.json"))));
        var result = w.Sft();
        Assert.That(result.Code, Is.EqualTo(3).Or.EqualTo(2), result.Error);
        AssertOneLineError(result, result.Code, "config.json");
    }

    public static IEnumerable<TestCaseData> TokenizerFiles() => new (string Name, string File, Func<string, string> Mutate)[]
    {
        ("model is a list", "tokenizer.json", j => Edit(j, o => o["model"] = new JsonArray())),
        ("vocab is a number", "tokenizer.json", j => Edit(j, o => o["model"]!["vocab"] = 5)),
        ("added token id is a string", "tokenizer.json", j => Edit(j, o => o["added_tokens"] = new JsonArray(new JsonObject { ["content"] = "<x>", ["id"] = "seven" }))),
        ("not JSON", "tokenizer.json", _ => "{\"model\": "),
        ("top level is a list", "tokenizer_config.json", _ => "[]"),
        ("chat_template is a number", "tokenizer_config.json", j => Edit(j, o => o["chat_template"] = 5)),
        ("eos_token is a list", "tokenizer_config.json", j => Edit(j, o => o["eos_token"] = new JsonArray(1, 2))),
    }.Select(c => new TestCaseData(c.File, c.Mutate).SetName($"Tokenizer({c.Name})"));

    [TestCaseSource(nameof(TokenizerFiles))]
    public void MalformedTokenizerFiles(string file, Func<string, string> mutate)
    {
        var w = new Workspace();
        File.WriteAllText(w.ModelFile(file), mutate(File.ReadAllText(w.ModelFile(file))));
        AssertOneLineError(w.Sft(), 3, file);
    }

    static byte[] WithHeader(byte[] original, Func<string, string> mutate)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(original);
        var header = mutate(Encoding.UTF8.GetString(original, 8, (int)n));
        var bytes = Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + bytes.Length + (original.Length - 8 - (int)n)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)bytes.Length);
        bytes.CopyTo(result, 8);
        original.AsSpan(8 + (int)n).CopyTo(result.AsSpan(8 + bytes.Length));
        return result;
    }

    public static IEnumerable<TestCaseData> SafetensorsFiles() => new (string Name, Func<byte[], byte[]> Mutate)[]
    {
        ("header length beyond the file", b => { var c = (byte[])b.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(c, ulong.MaxValue / 2); return c; }),
        ("truncated data", b => b[..(b.Length / 2)]),
        ("header not JSON", b => WithHeader(b, h => "{" + h[5..])),
        ("header is a list", b => WithHeader(b, _ => "[]")),
        ("negative dimension", b => WithHeader(b, h => h.Replace("\"shape\":[64]", "\"shape\":[-64]", StringComparison.Ordinal))),
        ("shape that overflows", b => WithHeader(b, h => h.Replace("\"shape\":[64]", "\"shape\":[4611686018427387904,4611686018427387904]", StringComparison.Ordinal))),
        ("dtype is a number", b => WithHeader(b, h => h.Replace("\"dtype\":\"F32\"", "\"dtype\":32", StringComparison.Ordinal))),
        ("metadata is a list", b => WithHeader(b, h => h.Replace("\"__metadata__\":{\"format\":\"pt\"}", "\"__metadata__\":[1]", StringComparison.Ordinal))),
        ("8 bytes", b => b[..3]),
    }.Select(c => new TestCaseData(c.Mutate).SetName($"Safetensors({c.Name})"));

    [TestCaseSource(nameof(SafetensorsFiles))]
    public void MalformedSafetensors(Func<byte[], byte[]> mutate)
    {
        var w = new Workspace();
        File.WriteAllBytes(w.ModelFile("model.safetensors"), mutate(File.ReadAllBytes(w.ModelFile("model.safetensors"))));
        AssertOneLineError(w.Sft(), 3, "model.safetensors");
    }

    [TestCase("{\"weight_map\": {\"model.embed_tokens.weight\": \"../../etc/passwd\"}}", "outside the model folder")]
    [TestCase("{\"weight_map\": {\"model.embed_tokens.weight\": \"/etc/passwd\"}}", "outside the model folder")]
    [TestCase("{\"weight_map\": [\"model.safetensors\"]}", "weight_map")]
    [TestCase("{\"weight_map\": {\"model.embed_tokens.weight\": 7}}", "weight_map")]
    public void MalformedIndexFiles(string index, string reason)
    {
        var w = new Workspace();
        File.Move(w.ModelFile("model.safetensors"), w.ModelFile("model-00001-of-00001.safetensors"));
        File.WriteAllText(w.ModelFile("model.safetensors.index.json"), index);
        AssertOneLineError(w.Sft(), 3, "model.safetensors.index.json", reason);
    }

    public static IEnumerable<TestCaseData> DatasetRows() => new (string Name, string Rows, string[] Mentions)[]
    {
        ("missing completion", "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"}\n", ["train.jsonl", "row 2", "completion"]),
        ("number where text belongs", "{\"text\": 5}\n", ["train.jsonl", "row 1", "text"]),
        ("list where a message belongs", "{\"messages\": [[1, 2]]}\n", ["train.jsonl", "row 1", "messages"]),
        ("unparsable line", "{\"text\": \"ok\"}\n{\"text\": \n", ["train.jsonl", "2"]),
        ("a row that is a list", "[1, 2, 3]\n", ["train.jsonl", "row 1"]),
        ("no known columns", "{\"foo\": \"bar\"}\n", ["train.jsonl", "row 1"]),
        ("empty file", "", ["train.jsonl"]),
        ("invalid UTF-16 escape", "{\"text\": \"\\ud800 x\"}\n", ["train.jsonl", "row 1"]),
        ("duplicate keys", "{\"text\": \"a\", \"text\": \"b\"}\n", ["train.jsonl", "row 1"]),
    }.Select(c => new TestCaseData(c.Rows, c.Mentions).SetName($"Dataset({c.Name})"));

    [TestCaseSource(nameof(DatasetRows))]
    public void MalformedDatasets(string rows, string[] mentions)
    {
        var w = new Workspace();
        File.WriteAllText(w.Data, rows);
        AssertOneLineError(w.Sft(), 3, mentions);
    }

    [TestCase("PAR1 not really a parquet file PAR1")]
    [TestCase("")]
    [TestCase("huge footer length")]
    public void MalformedParquet(string content)
    {
        var w = new Workspace();
        var parquet = Path.Combine(w.Root, "train.parquet");
        if (content == "huge footer length") File.WriteAllBytes(parquet, [.. "PAR1"u8, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, .. "PAR1"u8]);
        else File.WriteAllText(parquet, content);
        var (code, _, error) = CliRunner.Run("sft", "--model_name_or_path", w.Model, "--dataset_name", parquet, "--output_dir", Path.Combine(w.Root, "out"), "--max_steps", "1");
        AssertOneLineError((code, error), 3, "train.parquet");
    }

    [TestCase("--max_steps", "99999999999", "max_steps")]
    [TestCase("--learning_rate", "nan", "learning_rate")]
    [TestCase("--learning_rate", "Infinity", "learning_rate")]
    [TestCase("--max_length", "0", "max_length")]
    [TestCase("--per_device_train_batch_size", "-1", "per_device_train_batch_size")]
    [TestCase("--max_grad_norm", "abc", "max_grad_norm")]
    public void OutOfRangeValues(string key, string value, string field)
    {
        var w = new Workspace();
        AssertOneLineError(w.Sft(key, value), 2, field);
    }

    [Test]
    public void OutputThatCannotBeWrittenIsAnOutputError()
    {
        var w = new Workspace();
        var blocker = Path.Combine(w.Root, "out");
        File.WriteAllText(blocker, "a file where the output folder belongs");
        AssertOneLineError(w.Sft(), 5, "out");
    }
}
