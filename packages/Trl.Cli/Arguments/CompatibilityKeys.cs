namespace Trl.Cli.Arguments;

/// <summary>TRL/transformers keys that a TRL YAML config commonly carries but that change nothing here (logging
/// integrations, dataloader workers, device flags), accepted so configs move over unchanged. A value that would
/// change the result here (fp16, use_peft, push_to_hub …) is a clear error instead of being ignored.</summary>
internal static class CompatibilityKeys
{
    static readonly Dictionary<string, Func<string, string?>> Keys = new(StringComparer.Ordinal)
    {
        // Reporting, progress and bookkeeping: we always write metrics.jsonl and the console report.
        ["report_to"] = Any, ["run_name"] = Any, ["disable_tqdm"] = Any, ["logging_dir"] = Any, ["logging_strategy"] = Only("steps"),
        ["overwrite_output_dir"] = Any, ["do_train"] = Any, ["push_to_hub"] = Only("false"), ["hub_model_id"] = Any,
        // Data loading: rows are prepared in-process, once.
        ["dataloader_num_workers"] = Any, ["dataloader_pin_memory"] = Any, ["dataset_num_proc"] = Any, ["remove_unused_columns"] = Any,
        ["dataloader_persistent_workers"] = Any, ["dataset_streaming"] = Only("false"),
        // Devices and kernels: CPU (or the one CUDA device), SDPA attention, our own AdamW.
        ["no_cuda"] = Any, ["attn_implementation"] = Any, ["trust_remote_code"] = Any,
        ["fp16"] = Only("false", "fp16 is not supported; use bf16"),
        ["tf32"] = Any, ["torch_compile"] = Only("false"), ["optim"] = Only("adamw_torch", "only AdamW (adamw_torch) is implemented", "adamw_torch_fused", "adamw_hf"),
        // gradient_checkpointing itself is a TrainingOptions field; its kwargs (use_reentrant) change nothing here.
        ["gradient_checkpointing_kwargs"] = Any,
        // Trainer switches that change nothing in our implementation: no dropout layers, logits are already computed
        // only where needed, the model is loaded by the tool.
        ["disable_dropout"] = Any, ["use_logits_to_keep"] = Any, ["model_init_kwargs"] = Any, ["dataset_kwargs"] = Any,
        ["ds3_gather_for_generation"] = Any, ["dataset_text_field"] = Only("text", "only the 'text' column is read for language-modeling rows"),
        ["activation_offloading"] = Only("false", "activation offloading is not available"),
        ["use_liger_kernel"] = Only("false", "Liger kernels do not exist here; the default kernels give the same math"),
        ["use_vllm"] = Only("false", "generation runs on the built-in KV-cache sampler, not vLLM"),
        ["cast_lm_head_to_fp32"] = Only("false", "the lm_head already computes in the model's dtype; bf16 runs are not supported with this flag"),
        // Mixture-of-experts, encoder-decoder and multimodal options: the supported families have none of these.
        ["router_aux_loss_coef"] = Any, ["is_encoder_decoder"] = Only("false", "encoder-decoder models are not supported"), ["log_multimodal"] = Any,
        ["max_completion_length"] = Any,   // BCO/CPO/ORPO: encoder-decoder only (GRPO/PRM bind their own field first)
        ["padding_value"] = Any, ["generate_during_eval"] = Only("false", "generation during evaluation is not available"),
        // DPO's padding_free is disabled in TRL itself (it falls back to padding); BCO's UDM classifier is not built.
        ["padding_free"] = Any, ["precompute_ref_log_probs"] = Only("false", "not available for this trainer"), ["prompt_sample_size"] = Any, ["min_density_ratio"] = Any, ["max_density_ratio"] = Any,
        ["chat_template_path"] = Only("None", "use a tokenizer folder whose tokenizer_config.json carries the template"),
        // GRPO generation back ends other than the built-in sampler, and Hub logging.
        ["use_transformers_continuous_batching"] = Only("false"), ["transformers_continuous_batching_config"] = Any,
        ["cache_implementation"] = Any, ["generation_kwargs"] = Only("None", "set temperature, top_p, top_k, min_p, repetition_penalty directly"),
        ["chat_template_kwargs"] = Only("None"), ["max_tool_calling_iterations"] = Only("None", "tools are not available"),
["log_unique_prompts"] = Any, ["log_completions_hub_repo"] = Only("None"),
        ["vllm_mode"] = Any, ["vllm_model_impl"] = Any, ["vllm_server_base_url"] = Any, ["vllm_server_host"] = Any, ["vllm_server_port"] = Any,
        ["vllm_server_timeout"] = Any, ["vllm_group_port"] = Any, ["vllm_gpu_memory_utilization"] = Any, ["vllm_max_model_length"] = Any,
        ["vllm_tensor_parallel_size"] = Any, ["vllm_enable_sleep_mode"] = Any, ["vllm_structured_outputs_regex"] = Any,
        ["vllm_importance_sampling_correction"] = Any, ["vllm_importance_sampling_mode"] = Any,
        ["vllm_importance_sampling_clip_max"] = Any, ["vllm_importance_sampling_clip_min"] = Any,
        // Online trainers' script-only and bookkeeping keys (PPO's sft_model_path, rollout chunking, debug samples …),
        // judges (removed upstream), and the SFT data fields GKD skips (TRL's GKD sets skip_prepare_dataset).
        ["sft_model_path"] = Any, ["local_rollout_forward_batch_size"] = Any, ["num_sample_generations"] = Any, ["exp_name"] = Any,
        ["model_adapter_name"] = Any, ["ref_adapter_name"] = Any, ["teacher_model_init_kwargs"] = Any, ["wandb_log_unique_prompts"] = Any,
        ["use_transformers_paged"] = Only("false"), ["judge"] = Only("None", "judges were removed upstream; rank pairs with reward_funcs or reward_model_path"),
        ["packing"] = Only("false", "this trainer does not pack"), ["completion_only_loss"] = Any, ["assistant_only_loss"] = Any,
        ["packing_strategy"] = Any, ["eval_packing"] = Any,
        // Evaluation is eval_strategy (a real field); do_eval only mirrors it in transformers.
        ["do_eval"] = Any,
    };

    static string? Any(string value) => null;

    static Func<string, string?> Only(string accepted, string? reason = null, params string[] alsoAccepted) => value =>
        string.Equals(value, accepted, StringComparison.OrdinalIgnoreCase) || alsoAccepted.Contains(value, StringComparer.OrdinalIgnoreCase) || value is "" or "~" or "null"
            ? null : reason ?? $"only {accepted} is supported";

    /// <summary>Removes the compatibility keys from <paramref name="args"/>; a value that matters is an error naming the key.</summary>
    public static void Consume(CliArguments args)
    {
        foreach (var key in args.Values.Keys.Where(Keys.ContainsKey).ToList())
        {
            var value = args.Take(key)!;
            if (Keys[key](value) is { } problem) throw new CliException($"--{key} {value}: {problem}.");
        }
    }
}
