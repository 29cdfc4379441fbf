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
using static TorchSharp.torch;

namespace Trl.Benchmarks;

/// <summary>The end-to-end throughput harness: real SftTrainer and DpoTrainer steps (forward, backward, clipping,
/// AdamW, logging) and KV-cache sampling on a randomly initialised model of the Qwen2.5-0.5B shape, the workload of
/// fixtures/trl/bench. Timings come from step-end callbacks after warm-up steps; results go to stdout as JSON.
/// Usage: throughput [--layers 24] [--batch 1] [--seq 256] [--steps 3] [--warmup 1] [--new_tokens 32]</summary>
internal static class Throughput
{
    public static void Run(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, "--" + name) is int i and >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        int layers = Arg("layers", 24), batch = Arg("batch", 1), seq = Arg("seq", 256), steps = Arg("steps", 3), warmup = Arg("warmup", 1), newTokens = Arg("new_tokens", 32);
        var config = ModelConfig.FromJson(JsonNode.Parse($$"""
            { "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896,
              "intermediate_size": 4864, "num_hidden_layers": {{layers}}, "num_attention_heads": 14, "num_key_value_heads": 2,
              "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "max_position_embeddings": 32768, "tie_word_embeddings": true,
              "hidden_act": "silu", "eos_token_id": 151643, "pad_token_id": 151643 }
            """)!.AsObject());
        set_num_threads(Environment.ProcessorCount);
        var rng = new Random(0);
        long[] RandomIds(int n) => Enumerable.Range(0, n).Select(_ => (long)rng.Next(1, 151_000)).ToArray();
        var results = new JsonObject
        {
            ["shape"] = $"Qwen2.5-0.5B shape, {layers} layers, float32, {Environment.ProcessorCount} CPU threads",
            ["batch"] = batch, ["seq_len"] = seq,
        };

        using (var model = CausalLM.FromConfig(config, seed: 0))
        {
            results["num_parameters"] = model.parameters().Sum(p => p.numel()) - (config.TieWordEmbeddings ? 0 : 0);
            var examples = Enumerable.Range(0, batch * (steps + warmup)).Select(_ => new TokenizedExample(RandomIds(seq))).ToList();
            var sft = new SftConfig { OutputDir = Temp(), MaxSteps = steps + warmup, PerDeviceTrainBatchSize = batch, LoggingSteps = 1000, SaveSteps = 0, LossType = "nll", MaxLength = seq, Packing = false };
            using var trainer = new SftTrainer(model, sft, examples, 151643);
            var timer = new StepTimer(warmup);
            trainer.Callbacks.Add(timer);
            trainer.Train();
            results["sft_sec_per_step"] = timer.SecondsPerStep;
            results["sft_tokens_per_sec"] = batch * seq / timer.SecondsPerStep;
            results["peak_rss_mb_after_sft"] = PeakRssMb();

            var prompts = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<long>)RandomIds(128)).ToList();
            var generator = new TextGenerator(model);
            generator.Generate(prompts, new GenerationOptions { MaxNewTokens = 4, Seed = 0 });
            var clock = Stopwatch.StartNew();
            generator.Generate(prompts, new GenerationOptions { MaxNewTokens = newTokens, Seed = 1, TopK = 0 });
            results["generate_new_tokens_per_sec"] = batch * newTokens / clock.Elapsed.TotalSeconds;
            results["generate_ms_per_decode_step"] = clock.Elapsed.TotalMilliseconds / newTokens;
        }

        using (var policy = CausalLM.FromConfig(config, seed: 0))
        using (var reference = CausalLM.FromConfig(config, seed: 0))
        {
            int half = seq / 2;
            var pairs = Enumerable.Range(0, batch * (steps + warmup)).Select(_ => new PreferenceExample(RandomIds(half), RandomIds(half), RandomIds(half))).ToList();
            var dpo = new DpoConfig { OutputDir = Temp(), MaxSteps = steps + warmup, PerDeviceTrainBatchSize = batch, LoggingSteps = 1000, SaveSteps = 0, MaxLength = seq };
            using var trainer = new DpoTrainer(policy, reference, dpo, pairs, 151643);
            var timer = new StepTimer(warmup);
            trainer.Callbacks.Add(timer);
            trainer.Train();
            results["dpo_sec_per_step"] = timer.SecondsPerStep;
            results["dpo_policy_tokens_per_sec"] = 2 * batch * seq / timer.SecondsPerStep;
            results["peak_rss_mb_after_dpo"] = PeakRssMb();
        }
        Console.WriteLine(results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    static string Temp() => Path.Combine(Path.GetTempPath(), "trl-bench", Guid.NewGuid().ToString("N"));

    static long PeakRssMb() => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
        .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;

    /// <summary>Times optimizer steps after the warm-up ones.</summary>
    sealed class StepTimer(int warmup) : ITrainerCallback
    {
        readonly Stopwatch _clock = new();
        int _timed;

        public double SecondsPerStep => _clock.Elapsed.TotalSeconds / Math.Max(_timed, 1);

        public void OnStepEnd(TrainerState state, TorchSharp.torch.nn.Module model)
        {
            if (state.GlobalStep == warmup) { _clock.Restart(); return; }
            if (state.GlobalStep > warmup) _timed++;
        }
    }
}
