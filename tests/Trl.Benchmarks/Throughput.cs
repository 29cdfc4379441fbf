using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trl.Data;
using Trl.Dpo;
using Trl.Generation;
using Trl.Modeling;
using Trl.Sft;
using Trl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Trl.Benchmarks;

/// <summary>The end-to-end throughput harness: real SftTrainer and DpoTrainer steps (forward, backward, clipping,
/// AdamW) and KV-cache decoding on a randomly initialised model of the Qwen2.5-0.5B shape (or the embedded default's
/// tiny shape with --small). Usage:
/// <c>throughput [--only sft|dpo|gen] [--layers 24] [--batch 1] [--seq 256] [--steps 3] [--warmup 1] [--prompt 32]
/// [--new_tokens 32] [--threads N] [--small] [--bf16] [--gradient_checkpointing] [--use_peft] [--device cuda] [--sample]
/// [--only grpo --num_generations 8] [--pure_bf16]</c> prints one JSON object
/// (--pure_bf16: the model loaded in bf16 and trained in bf16 — weights and AdamW state — as TRL's anchor ran;
/// --bf16 is mixed precision with fp32 masters)
/// (--device: where to run, as TrainingOptions.Device; --sample: sampling at temperature 1 instead of greedy decoding;
/// grpo: one GRPOTrainer step, beta 0, dapo, a length reward, prompts of --prompt ids and --new_tokens completions)
/// (--use_peft: TRL's default LoRA — r 16, α 32, dropout 0.05, q_proj/v_proj — and no reference copy for DPO);
/// <c>throughput --compare</c> runs the side-by-side table against plain PyTorch (see <see cref="Comparison"/>).</summary>
internal static class Throughput
{
    public static void Run(string[] args)
    {
        if (args.Contains("--compare")) { Comparison.Run(args); return; }
        var o = WorkloadOptions.Parse(args);
        set_num_threads(o.Threads);
        var only = Value(args, "only");
        var results = new JsonObject
        {
            ["side"] = "trl.net", ["shape"] = o.Small ? "embedded default (tiny qwen2)" : $"Qwen2.5-0.5B shape, {o.Layers} layers",
            ["dtype"] = o.PureBf16 ? "bf16 weights and optimizer state" : o.Bf16 ? "bf16 mixed precision (fp32 masters)" : "float32", ["threads"] = o.Threads, ["batch"] = o.Batch, ["seq"] = o.Seq,
            ["gradient_checkpointing"] = o.GradientCheckpointing, ["use_peft"] = o.UsePeft, ["device"] = o.Device ?? "cpu",
        };
        foreach (var workload in only is null ? new[] { "sft", "dpo", "gen" } : new[] { only })
        {
            var seconds = workload switch
            {
                "sft" => Sft(o),
                "dpo" => Dpo(o),
                "gen" => Generate(o),
                "grpo" => Grpo(o),
                _ => throw new ArgumentException($"--only must be sft, dpo, gen or grpo (got '{workload}')."),
            };
            double median = Median(seconds);
            results[workload] = new JsonObject
            {
                ["seconds"] = new JsonArray(seconds.Select(s => (JsonNode)s).ToArray()),
                ["median_s"] = median,
                [workload is "gen" or "grpo" ? "new_tokens_per_s" : "tokens_per_s"] = workload switch
                {
                    "gen" => o.Batch * o.NewTokens / median,
                    "grpo" => (double)o.Batch * o.NewTokens / median,
                    "dpo" => 2.0 * o.Batch * o.Seq / median,
                    _ => (double)o.Batch * o.Seq / median,
                },
                ["peak_rss_mb_so_far"] = PeakRssMb(),
            };
        }
        if (only is not null) results["median_s"] = results[only]!["median_s"]!.GetValue<double>();
        results["peak_rss_mb"] = PeakRssMb();
        Console.WriteLine(results.ToJsonString(only is null ? new JsonSerializerOptions { WriteIndented = true } : null));
    }

    static string? Value(string[] args, string name) => Array.IndexOf(args, "--" + name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    internal sealed record WorkloadOptions(int Layers, int Batch, int Seq, int Steps, int Warmup, int Prompt, int NewTokens, int Threads, bool Small,
        bool Bf16, bool GradientCheckpointing, bool UsePeft, string? Device, bool Sample, int NumGenerations, bool PureBf16)
    {
        public static WorkloadOptions Parse(string[] args)
        {
            int Int(string name, int fallback) => Value(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            return new(Int("layers", 24), Int("batch", 1), Int("seq", 256), Int("steps", 3), Int("warmup", 1), Int("prompt", 32), Int("new_tokens", 32),
                Int("threads", Environment.ProcessorCount), args.Contains("--small"), args.Contains("--bf16"), args.Contains("--gradient_checkpointing"),
                args.Contains("--use_peft"), Value(args, "device"), args.Contains("--sample"), Int("num_generations", 8),
                args.Contains("--pure_bf16"));
        }

        /// <summary>A new model of the shape, on the device and in the dtype asked for.</summary>
        public CausalLM NewModel(ModelConfig config)
        {
            var model = CausalLM.FromConfig(config, seed: 0);
            if (Device is { } device) model.to(new Device(device));
            if (PureBf16) model.to(ScalarType.BFloat16);
            return model;
        }

        public ModelConfig Model() => ModelConfig.FromJson(JsonNode.Parse(Small
            ? """
              { "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 16, "hidden_size": 64, "intermediate_size": 192,
                "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                "max_position_embeddings": 1024, "tie_word_embeddings": true, "hidden_act": "silu", "eos_token_id": 1, "pad_token_id": 0 }
              """
            : $$"""
              { "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896,
                "intermediate_size": 4864, "num_hidden_layers": {{Layers}}, "num_attention_heads": 14, "num_key_value_heads": 2,
                "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "max_position_embeddings": 32768, "tie_word_embeddings": true,
                "hidden_act": "silu", "eos_token_id": 151643, "pad_token_id": 151643 }
              """)!.AsObject());

        public long[] RandomIds(Random rng, int n, long vocab) => Enumerable.Range(0, n).Select(_ => (long)rng.Next(1, (int)Math.Max(2, vocab - 1000))).ToArray();

        public TrainingOptions Apply(TrainingOptions t) => t with
        {
            OutputDir = Temp(), MaxSteps = Steps + Warmup, PerDeviceTrainBatchSize = Batch, LoggingSteps = 1000, SaveSteps = 0, Bf16 = Bf16,
            GradientCheckpointing = GradientCheckpointing, Device = Device,
            PeftConfig = UsePeft ? new Trl.Peft.LoraConfig { R = 16, LoraAlpha = 32, LoraDropout = 0.05, TaskType = "CAUSAL_LM" } : null,
        };
    }

    static List<double> Sft(WorkloadOptions o)
    {
        var config = o.Model();
        var rng = new Random(0);
        using var model = o.NewModel(config);
        var examples = Enumerable.Range(0, o.Batch * (o.Steps + o.Warmup)).Select(_ => new SftExample(o.RandomIds(rng, o.Seq, config.VocabSize))).ToList();
        var sft = (SftConfig)o.Apply(new SftConfig { LossType = "chunked_nll", MaxLength = o.Seq });
        using var trainer = new SftTrainer(model, sft, examples, config.PadTokenId ?? 0);
        var timer = new StepTimer(o.Warmup);
        trainer.Callbacks.Add(timer);
        trainer.Train();
        return timer.Seconds;
    }

    static List<double> Dpo(WorkloadOptions o)
    {
        var config = o.Model();
        var rng = new Random(0);
        using var policy = o.NewModel(config);
        using var reference = o.UsePeft ? null : o.NewModel(config);
        int half = o.Seq / 2;
        var pairs = Enumerable.Range(0, o.Batch * (o.Steps + o.Warmup)).Select(_ => new PreferenceExample(
            o.RandomIds(rng, half, config.VocabSize), o.RandomIds(rng, half, config.VocabSize), o.RandomIds(rng, half, config.VocabSize))).ToList();
        var dpo = (DpoConfig)o.Apply(new DpoConfig { MaxLength = o.Seq });
        using var trainer = new DpoTrainer(policy, reference, dpo, pairs, config.PadTokenId ?? 0);
        var timer = new StepTimer(o.Warmup);
        trainer.Callbacks.Add(timer);
        trainer.Train();
        return timer.Seconds;
    }

    static List<double> Generate(WorkloadOptions o)
    {
        var config = o.Model();
        var rng = new Random(0);
        using var model = o.NewModel(config);
        if (o.Bf16 && !o.PureBf16) model.to(ScalarType.BFloat16);
        var prompts = Enumerable.Range(0, o.Batch).Select(_ => (IReadOnlyList<long>)o.RandomIds(rng, o.Prompt, config.VocabSize)).ToList();
        var generator = new TextGenerator(model);
        // No EOS: every row decodes exactly new_tokens (transformers' min_new_tokens = max_new_tokens).
        var greedy = new GenerationOptions { DoSample = o.Sample, Temperature = 1.0, MaxNewTokens = o.NewTokens, Seed = 0 };
        generator.Generate(prompts, greedy with { MaxNewTokens = 4 });
        var seconds = new List<double>();
        for (int i = 0; i < o.Warmup + o.Steps; i++)
        {
            var clock = Stopwatch.StartNew();
            generator.Generate(prompts, greedy);
            if (i >= o.Warmup) seconds.Add(clock.Elapsed.TotalSeconds);
        }
        return seconds;
    }

    /// <summary>One GRPO step per optimizer step: generation of num_generations completions per prompt, a length reward,
    /// the dapo loss with beta 0 (no reference), as the H100 anchor ran TRL.</summary>
    static List<double> Grpo(WorkloadOptions o)
    {
        var config = o.Model();
        var rng = new Random(0);
        using var model = CausalLM.FromConfig(config, seed: 0);
        // TRL's per_device_train_batch_size counts completions: batch / num_generations prompts per step.
        var prompts = Enumerable.Range(0, Math.Max(1, o.Batch / o.NumGenerations) * (o.Steps + o.Warmup)).Select(_ =>
            new PromptExample(o.RandomIds(rng, o.Prompt, config.VocabSize), "", new JsonObject())).ToList();
        var grpo = (Trl.Grpo.GrpoConfig)o.Apply(new Trl.Grpo.GrpoConfig
        {
            NumGenerations = o.NumGenerations, MaxCompletionLength = o.NewTokens, Beta = 0, LossType = "dapo", Temperature = 1.0,
        });
        var reward = Trl.Rewards.DelegateRewardFunction.PerCompletion("length", (completion, _, _) => completion.Length);
        using var trainer = new Trl.Grpo.GrpoTrainer(model, null, grpo, prompts, new IdTokenizer(config.VocabSize), [reward]);
        var timer = new StepTimer(o.Warmup);
        trainer.Callbacks.Add(timer);
        trainer.Train();
        return timer.Seconds;
    }

    /// <summary>Random-id workloads need no vocabulary: ids print as themselves.</summary>
    sealed class IdTokenizer(int vocabSize) : Trl.Tokenization.ITextTokenizer
    {
        public IReadOnlyList<long> Encode(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        public IReadOnlyList<(long Id, int Start, int End)> EncodeWithOffsets(string text) => Encode(text).Select(id => (id, 0, 0)).ToArray();
        public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = false) => string.Join(' ', ids);
        public int VocabSize => vocabSize;
        public Trl.Tokenization.SpecialTokens Special { get; } = new();
        public string? ChatTemplate => null;
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    static string Temp() => Path.Combine(Path.GetTempPath(), "trl-bench", Guid.NewGuid().ToString("N"));

    internal static long PeakRssMb() => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
        .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;

    /// <summary>Times each optimizer step after the warm-up ones.</summary>
    sealed class StepTimer(int warmup) : ITrainerCallback
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();

        public List<double> Seconds { get; } = new();

        public void OnStepEnd(TrainerState state, nn.Module model)
        {
            if (state.GlobalStep > warmup) Seconds.Add(_clock.Elapsed.TotalSeconds);
            _clock.Restart();
        }
    }
}
