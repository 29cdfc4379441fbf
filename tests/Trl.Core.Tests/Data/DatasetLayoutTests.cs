using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Trl.Data;

namespace Trl.Core.Tests.Data;

/// <summary>Dataset folders as the datasets library lays them out: a card whose YAML configs name data files per split
/// (patterns, split/path lists, data_dir, the default config), config sub-folders, and save_to_disk output (Arrow IPC
/// streams under state.json / dataset_dict.json) with nested columns (chat messages).</summary>
public class DatasetLayoutTests
{
    string _dir = null!;

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "trl-dataset-layout", Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    void Write(string rel, string text)
    {
        var path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    static List<string> Texts(IEnumerable<DatasetRow> rows) => rows.Select(r => r.GetString("text")).ToList();

    [Test]
    public void The_card_configs_choose_files_per_split_and_the_default_config()
    {
        Write("README.md", """
            ---
            license: mit
            configs:
            - config_name: short
              data_files:
              - split: train
                path: "short/train-*.jsonl"
              - split: test
                path: short/held_out.jsonl
            - config_name: long
              default: true
              data_dir: long_texts
            ---
            # A dataset
            """);
        Write("short/train-00000-of-00002.jsonl", "{\"text\": \"s1\"}\n");
        Write("short/train-00001-of-00002.jsonl", "{\"text\": \"s2\"}\n");
        Write("short/held_out.jsonl", "{\"text\": \"s3\"}\n");
        Write("long_texts/train.jsonl", "{\"text\": \"l1\"}\n");
        Write("long_texts/test.jsonl", "{\"text\": \"l2\"}\n");

        Assert.That(Texts(DatasetLoader.Read(_dir, "train", "short")), Is.EqualTo(new[] { "s1", "s2" }), "shards in order");
        Assert.That(Texts(DatasetLoader.Read(_dir, "test", "short")), Is.EqualTo(new[] { "s3" }));
        Assert.That(Texts(DatasetLoader.Read(_dir, "train")), Is.EqualTo(new[] { "l1" }), "default: true, under its data_dir");
        Assert.That(Assert.Throws<FileNotFoundException>(() => DatasetLoader.Read(_dir, "train", "medium").ToList())!.Message,
            Does.Contain("no config 'medium'").And.Contain("short, long"));
        Assert.That(Assert.Throws<FileNotFoundException>(() => DatasetLoader.Read(_dir, "validation", "short").ToList())!.Message,
            Does.Contain("no split 'validation'"));
    }

    [Test]
    public void Without_a_card_a_config_is_a_sub_folder()
    {
        Write("en/train.jsonl", "{\"text\": \"hello\"}\n");
        Write("fr/train.jsonl", "{\"text\": \"bonjour\"}\n");
        Assert.That(Texts(DatasetLoader.Read(_dir, "train", "fr")), Is.EqualTo(new[] { "bonjour" }));
        Assert.Throws<DirectoryNotFoundException>(() => DatasetLoader.Read(_dir, "train", "de").ToList());
    }

    [Test]
    public void Save_to_disk_folders_read_as_rows_with_nested_columns()
    {
        WriteSavedSplit("train", [("p1", "hi", "hello"), ("p2", "bye", "goodbye")]);
        WriteSavedSplit("test", [("p3", "yes", "no")]);
        File.WriteAllText(Path.Combine(_dir, "dataset_dict.json"), "{\"splits\": [\"train\", \"test\"]}");

        var rows = DatasetLoader.Read(_dir, "train").ToList();
        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows[0].GetString("prompt"), Is.EqualTo("p1"));
        Assert.That(rows[1].Values["messages"]!.ToJsonString(),
            Is.EqualTo("[{\"role\":\"user\",\"content\":\"bye\"},{\"role\":\"assistant\",\"content\":\"goodbye\"}]"));
        Assert.That(rows[1].Values["score"]!.GetValue<double>(), Is.EqualTo(1.5));
        Assert.That(rows[0].Values["ok"]!.GetValue<bool>(), Is.True);
        Assert.That(DatasetLoader.Read(_dir, "test").Single().GetString("prompt"), Is.EqualTo("p3"));
        Assert.That(Assert.Throws<FileNotFoundException>(() => DatasetLoader.Read(_dir, "validation").ToList())!.Message, Does.Contain("saved splits: train, test"));
    }

    /// <summary>One split as datasets' save_to_disk writes it: data-00000-of-00001.arrow (an IPC stream), state.json,
    /// dataset_info.json.</summary>
    void WriteSavedSplit(string split, (string Prompt, string User, string Assistant)[] rows)
    {
        var folder = Path.Combine(_dir, split);
        Directory.CreateDirectory(folder);
        var messageType = new StructType([new Field("role", StringType.Default, true), new Field("content", StringType.Default, true)]);
        var schema = new Schema.Builder()
            .Field(new Field("prompt", StringType.Default, true))
            .Field(new Field("messages", new ListType(new Field("item", messageType, true)), true))
            .Field(new Field("score", DoubleType.Default, true))
            .Field(new Field("ok", BooleanType.Default, true))
            .Build();
        var prompt = new StringArray.Builder();
        var roles = new StringArray.Builder();
        var contents = new StringArray.Builder();
        var offsets = new ArrowBuffer.Builder<int>().Append(0);
        var score = new DoubleArray.Builder();
        var ok = new BooleanArray.Builder();
        int n = 0;
        foreach (var (p, u, a) in rows)
        {
            prompt.Append(p);
            roles.Append("user").Append("assistant");
            contents.Append(u).Append(a);
            offsets.Append(n += 2);
            score.Append(1.5);
            ok.Append(true);
        }
        var structs = new StructArray(messageType, n, [roles.Build(), contents.Build()], ArrowBuffer.Empty, 0);
        var messages = new ListArray(schema.GetFieldByName("messages").DataType, rows.Length, offsets.Build(), structs, ArrowBuffer.Empty, 0);
        using var batch = new RecordBatch(schema, [prompt.Build(), messages, score.Build(), ok.Build()], rows.Length);
        using (var stream = File.Create(Path.Combine(folder, "data-00000-of-00001.arrow")))
        using (var writer = new ArrowStreamWriter(stream, schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        File.WriteAllText(Path.Combine(folder, "state.json"), $$"""
            {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_fingerprint": "a1b2c3d4e5f60708", "_format_columns": null,
             "_format_kwargs": {}, "_format_type": null, "_output_all_columns": false, "_split": "{{split}}"}
            """);
        File.WriteAllText(Path.Combine(folder, "dataset_info.json"), "{\"citation\": \"\", \"description\": \"\", \"features\": {}, \"homepage\": \"\", \"license\": \"\"}");
    }
}
