namespace Trl.Cli.Arguments;

/// <summary>TRL/transformers keys that a TRL YAML config commonly carries but that change nothing here (dataloader
/// workers, kernels, vLLM), accepted so configs move over unchanged — each with one notice saying why it has no effect.
/// A value that would change the result here (fp16, push_to_hub …) is a clear error instead of being ignored.</summary>
internal static class CompatibilityKeys
{
    const string NoDropout = "the supported model families have no dropout layers to disable";
    const string Loader = "rows are prepared in-process, once, and cached: there are no loader workers";
    const string Kernels = "attention and kernels are fixed here (SDPA-equivalent math)";
    const string Script = "a TRL script option with no trainer setting behind it";
    const string EncoderDecoder = "used by encoder-decoder models only, which are not supported";
    const string Vllm = "generation runs on the built-in KV-cache sampler, not vLLM";
    const string Noop = "no effect in transformers' Trainer either";

    /// <summary>A rule per key: what makes a value an error (null: any value is fine), and why an accepted value
    /// changes nothing here (null: the accepted value is what happens anyway, so nothing is said).</summary>
    sealed record Rule(Func<string, string?> Problem, string? IgnoredBecause);

    static readonly Dictionary<string, Rule> Keys = new(StringComparer.Ordinal)
    {
        // Reporting and bookkeeping (report_to and logging_dir are real fields).
        ["run_name"] = Ignored("it names runs for wandb-style integrations, which do not exist here"),
        ["disable_tqdm"] = Ignored("there is no tqdm bar; the console report prints each logging step"),
        ["logging_strategy"] = Accepted(Only("steps")),
        ["overwrite_output_dir"] = Ignored(Noop), ["do_train"] = Ignored(Noop), ["do_eval"] = Ignored("evaluation follows eval_strategy"),
        // Data loading.
        ["dataloader_num_workers"] = Ignored(Loader), ["dataloader_pin_memory"] = Ignored(Loader), ["dataset_num_proc"] = Ignored(Loader),
        ["remove_unused_columns"] = Ignored("each preparer reads only the columns it needs"), ["dataloader_persistent_workers"] = Ignored(Loader),
        ["dataset_streaming"] = Accepted(Only("false")),
        // Devices and kernels.
        ["no_cuda"] = Ignored("use use_cpu (or device)"), ["attn_implementation"] = Ignored(Kernels), ["trust_remote_code"] = Ignored("no remote code is ever run; only the supported families load"),
        ["fp16"] = Accepted(Only("false", "fp16 is not supported; use bf16")),
        ["tf32"] = Ignored(Kernels), ["torch_compile"] = Accepted(Only("false")),
        ["optim"] = Accepted(Only("adamw_torch", "only AdamW (adamw_torch) is implemented", "adamw_torch_fused", "adamw_hf")),
        ["gradient_checkpointing_kwargs"] = Ignored("checkpointing recomputes each decoder layer; use_reentrant has no counterpart"),
        // Trainer switches with nothing behind them here.
        ["disable_dropout"] = Ignored(NoDropout), ["use_logits_to_keep"] = Ignored("logits are already computed only where the loss needs them"),
        ["model_init_kwargs"] = Ignored("the model is loaded by the tool (dtype is a field)"), ["dataset_kwargs"] = Ignored(Loader),
        ["ds3_gather_for_generation"] = Ignored("there is no DeepSpeed"),
        ["dataset_text_field"] = Accepted(Only("text", "only the 'text' column is read for language-modeling rows")),
        ["activation_offloading"] = Accepted(Only("false", "activation offloading is not available")),
        ["use_liger_kernel"] = Accepted(Only("false", "Liger kernels do not exist here; the default kernels give the same math")),
        ["use_vllm"] = Accepted(Only("false", Vllm)),
        ["cast_lm_head_to_fp32"] = Accepted(Only("false", "the lm_head already computes in the model's dtype; bf16 runs are not supported with this flag")),
        ["router_aux_loss_coef"] = Ignored("the supported families have no mixture-of-experts router"),
        ["is_encoder_decoder"] = Accepted(Only("false", "encoder-decoder models are not supported")), ["log_multimodal"] = Ignored("no multimodal models"),
        ["max_completion_length"] = Ignored(EncoderDecoder),   // BCO/CPO/ORPO: encoder-decoder only (GRPO/PRM bind their own field first)
        ["padding_value"] = Ignored("padding uses the tokenizer's pad token"), ["generate_during_eval"] = Accepted(Only("false", "generation during evaluation is not available")),
        ["padding_free"] = Ignored("TRL itself falls back to padding for this trainer"),
        ["precompute_ref_log_probs"] = Accepted(Only("false", "not available for this trainer")),
        ["prompt_sample_size"] = Ignored("BCO's density-ratio classifier is not built"), ["min_density_ratio"] = Ignored("BCO's density-ratio classifier is not built"),
        ["max_density_ratio"] = Ignored("BCO's density-ratio classifier is not built"),
        ["chat_template_path"] = Accepted(Only("None", "use a tokenizer folder whose tokenizer_config.json carries the template")),
        ["use_transformers_continuous_batching"] = Accepted(Only("false")), ["transformers_continuous_batching_config"] = Ignored(Vllm),
        ["cache_implementation"] = Ignored("generation always uses its own KV cache"),
        ["generation_kwargs"] = Accepted(Only("None", "set temperature, top_p, top_k, min_p, repetition_penalty directly")),
        ["chat_template_kwargs"] = Accepted(Only("None")), ["max_tool_calling_iterations"] = Accepted(Only("None", "tools are not available")),
        ["log_unique_prompts"] = Ignored("it is a wandb table option"), ["log_completions_hub_repo"] = Accepted(Only("None")),
        ["vllm_mode"] = Ignored(Vllm), ["vllm_model_impl"] = Ignored(Vllm), ["vllm_server_base_url"] = Ignored(Vllm), ["vllm_server_host"] = Ignored(Vllm),
        ["vllm_server_port"] = Ignored(Vllm), ["vllm_server_timeout"] = Ignored(Vllm), ["vllm_group_port"] = Ignored(Vllm),
        ["vllm_gpu_memory_utilization"] = Ignored(Vllm), ["vllm_max_model_length"] = Ignored(Vllm), ["vllm_tensor_parallel_size"] = Ignored(Vllm),
        ["vllm_enable_sleep_mode"] = Ignored(Vllm), ["vllm_structured_outputs_regex"] = Ignored(Vllm), ["vllm_importance_sampling_correction"] = Ignored(Vllm),
        ["vllm_importance_sampling_mode"] = Ignored(Vllm), ["vllm_importance_sampling_clip_max"] = Ignored(Vllm), ["vllm_importance_sampling_clip_min"] = Ignored(Vllm),
        // Online trainers' script-only and bookkeeping keys, judges, and the SFT data fields GKD skips.
        ["sft_model_path"] = Ignored(Script), ["local_rollout_forward_batch_size"] = Ignored("rollouts are scored in one chunked pass"),
        ["num_sample_generations"] = Ignored("samples are shown at every logging step"), ["exp_name"] = Ignored(Script),
        ["model_adapter_name"] = Ignored("one adapter is trained; the reference is the base with it disabled"),
        ["ref_adapter_name"] = Ignored("the reference is the base with the adapter disabled"),
        ["teacher_model_init_kwargs"] = Ignored("the teacher is loaded by the tool"), ["wandb_log_unique_prompts"] = Ignored("it is a wandb option"),
        ["use_transformers_paged"] = Accepted(Only("false")),
        ["judge"] = Accepted(Only("None", "judges were removed upstream; rank pairs with reward_funcs or reward_model_path")),
        ["packing"] = Accepted(Only("false", "this trainer does not pack")), ["completion_only_loss"] = Ignored("this trainer's loss already covers completions only"),
        ["assistant_only_loss"] = Ignored("this trainer's loss already covers completions only"),
        ["packing_strategy"] = Ignored("this trainer does not pack"), ["eval_packing"] = Ignored("this trainer does not pack"),
    };

    static Rule Ignored(string reason) => new(Any, reason);
    static Rule Accepted(Func<string, string?> problem) => new(problem, null);

    static string? Any(string value) => null;

    static Func<string, string?> Only(string accepted, string? reason = null, params string[] alsoAccepted) => value =>
        string.Equals(value, accepted, StringComparison.OrdinalIgnoreCase) || alsoAccepted.Contains(value, StringComparer.OrdinalIgnoreCase) || value is "" or "~" or "null"
            ? null : reason ?? $"only {accepted} is supported";

    /// <summary>Every compatibility key (for "did you mean" and --help).</summary>
    public static IEnumerable<string> Names => Keys.Keys;

    /// <summary>Removes the compatibility keys from <paramref name="args"/>: a value that matters is an error naming the
    /// key; a value accepted without effect comes back as one notice line saying why.</summary>
    public static List<string> Consume(CliArguments args)
    {
        var notices = new List<string>();
        foreach (var key in args.Values.Keys.Where(Keys.ContainsKey).Order(StringComparer.Ordinal).ToList())
        {
            var value = args.Take(key)!;
            var rule = Keys[key];
            if (rule.Problem(value) is { } problem) throw new CliException($"--{key} {value}: {problem}.");
            if (rule.IgnoredBecause is { } why && value is not ("" or "~" or "null" or "None")) notices.Add($"notice: {key}={value} is accepted but has no effect here: {why}.");
        }
        return notices;
    }
}
