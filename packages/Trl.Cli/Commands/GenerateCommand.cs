using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trl.Cli.Arguments;
using Trl.Generation;
using Trl.Modeling;
using Trl.Tokenization;

namespace Trl.Cli.Commands;

/// <summary><c>trl generate</c>: sample from a checkpoint, from text (<c>--prompt</c>) or raw ids (<c>--input_ids</c>).</summary>
internal static class GenerateCommand
{
    public static int Run(CliArguments args, TextWriter output)
    {
        if (args.Has("help"))
        {
            output.WriteLine("usage: trl generate --model_name_or_path DIR [--adapter_path ADAPTER] (--prompt TEXT | --input_ids 1,2,3) [--max_new_tokens 20] [--do_sample true|false] [--temperature 1] [--top_p 1] [--top_k 0] [--min_p None] [--repetition_penalty 1] [--num_return_sequences 1] [--seed N] [--json]");
            return ExitCodes.Success;
        }
        var modelPath = args.Take("model_name_or_path") ?? throw new CliException("--model_name_or_path is required.");
        var adapterPath = args.Take("adapter_path");
        var prompt = args.Take("prompt");
        var ids = args.Values.Remove("input_ids", out var idValues) ? idValues : null;
        double D(string k, double d) => args.Take(k) is not { } v ? d
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? x : throw new CliException($"--{k}: '{v}' is not a finite number.");
        int I(string k, int d) => args.Take(k) is not { } v ? d
            : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : throw new CliException($"--{k}: '{v}' is not an integer.");
        var doSample = args.Take("do_sample") is { } ds ? bool.Parse(ds) : true;
        var minP = args.Take("min_p") is { } mp ? double.Parse(mp, CultureInfo.InvariantCulture) : (double?)null;
        var seed = args.Take("seed") is { } sd ? long.Parse(sd, CultureInfo.InvariantCulture) : (long?)null;
        bool json = args.Take("json") is { } j && bool.Parse(j);
        int maxNew = I("max_new_tokens", 20), topK = I("top_k", 0), n = I("num_return_sequences", 1);
        double temperature = D("temperature", 1.0), topP = D("top_p", 1.0), repetition = D("repetition_penalty", 1.0);
        ConfigBinder.RejectUnknown(args, "generate");
        if ((prompt is null) == (ids is null)) throw new CliException("give exactly one of --prompt or --input_ids.");

        var (basePath, adapter) = ModelFolders.Resolve(modelPath, adapterPath);
        using var model = ModelFolders.LoadCausalLM(basePath, adapter, trainable: false);
        ITextTokenizer? tokenizer = LoadTokenizer(ModelFolders.TokenizerFolder(basePath, adapter), required: prompt is not null);
        IReadOnlyList<long> promptIds = prompt is not null
            ? (tokenizer ?? throw new CliException($"{modelPath} has no tokenizer.json: use --input_ids.")).Encode(prompt)
            : ids!.Select(x => long.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id
                : throw new CliException($"--input_ids: '{x}' is not a token id.")).ToArray();
        if (promptIds.Count == 0) throw new CliException("the prompt is empty.");
        foreach (var id in promptIds)
            if (id < 0 || id >= model.Config.VocabSize)
                throw new CliException($"--input_ids: token id {id} is outside the model's vocabulary (0 … {model.Config.VocabSize - 1}).");
        var eos = GenerationEos(basePath, model.Config);
        var result = new TextGenerator(model).Generate(new[] { promptIds }, new GenerationOptions
        {
            MaxNewTokens = maxNew, DoSample = doSample, Temperature = temperature, TopK = topK, TopP = topP, MinP = minP,
            RepetitionPenalty = repetition, NumReturnSequences = n, Seed = seed, EosTokenIds = eos,
            PadTokenId = model.Config.PadTokenId ?? tokenizer?.Special.PadTokenId ?? 0,
        });
        var sequences = new JsonArray();
        for (int i = 0; i < result.CompletionIds.Count; i++)
        {
            var text = tokenizer?.Decode(result.CompletionIds[i], skipSpecialTokens: true);
            if (!json) output.WriteLine(text ?? string.Join(",", result.CompletionIds[i]));
            sequences.Add(new JsonObject
            {
                ["prompt_ids"] = new JsonArray(result.PromptIds[i].Select(x => (JsonNode)x).ToArray()),
                ["completion_ids"] = new JsonArray(result.CompletionIds[i].Select(x => (JsonNode)x).ToArray()),
                ["text"] = text,
            });
        }
        if (json) output.WriteLine(new JsonObject { ["sequences"] = sequences }.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return ExitCodes.Success;
    }

    /// <summary>The folder's tokenizer. With --input_ids it is only needed for the text of the output, so a tokenizer
    /// this version cannot load (e.g. SentencePiece byte-fallback BPE) leaves the text out instead of failing.</summary>
    static ITextTokenizer? LoadTokenizer(string modelPath, bool required)
    {
        if (!File.Exists(Path.Combine(modelPath, "tokenizer.json"))) return null;
        try { return TokenizerLoader.FromPretrained(modelPath); }
        catch (NotSupportedException) when (!required) { return null; }
    }

    /// <summary>EOS ids from generation_config.json (as transformers reads them), else from config.json.</summary>
    static IReadOnlyList<long> GenerationEos(string dir, ModelConfig config)
    {
        var path = Path.Combine(dir, "generation_config.json");
        if (!File.Exists(path)) return config.EosTokenIds;
        return JsonNode.Parse(File.ReadAllText(path))?["eos_token_id"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<long>()).ToArray(),
            JsonValue v => new[] { v.GetValue<long>() },
            _ => Array.Empty<long>(),
        };
    }
}
