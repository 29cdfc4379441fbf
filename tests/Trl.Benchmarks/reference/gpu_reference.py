#!/usr/bin/env python3
"""The PyTorch / transformers / TRL side of build/gpu-bench.sh, at the shapes of the H100 anchor
(tests/fixtures/trl/bench): a random-init Qwen2ForCausalLM of the Qwen2.5-0.5B shape in bf16 with sdpa attention.

Workloads (one per process, so peak memory belongs to it; each prints one JSON line):
  plain_sft   model(input_ids, labels=input_ids) + backward + clip_grad_norm_(1.0) + fused AdamW, batch x seq
  trl_sft     TRL SFTTrainer on pre-tokenized rows (labels = input_ids), chunked_nll (TRL's default), no checkpointing
  trl_dpo     TRL DPOTrainer, sigmoid, batch pairs of prompt seq/2 + completion seq/2 words of a WordLevel vocabulary
  generate    model.generate(do_sample, temperature 1, top_k 0, min_new_tokens = max_new_tokens = new_tokens)
  trl_grpo    TRL GRPOTrainer: num_generations, per_device_train_batch_size = batch, beta 0, dapo, a length reward

Time is cuda-synchronized wall time per optimizer step (or per generate call), median of the timed ones; peak memory
is torch.cuda.max_memory_allocated / max_memory_reserved. Run with --device cpu --layers 1 --vocab 512 to smoke-test
the plain workloads on a CPU.
"""
import argparse
import json
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("workload", choices=["plain_sft", "trl_sft", "trl_dpo", "generate", "trl_grpo"])
parser.add_argument("--device", default="cuda")
parser.add_argument("--layers", type=int, default=24)
parser.add_argument("--vocab", type=int, default=151936)
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--seq", type=int, default=1024)
parser.add_argument("--prompt", type=int, default=128)
parser.add_argument("--new_tokens", type=int, default=256)
parser.add_argument("--num_generations", type=int, default=8)
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--gradient_checkpointing", action="store_true")
args = parser.parse_args()
device = torch.device(args.device)
dtype = torch.bfloat16


def sync():
    if device.type == "cuda":
        torch.cuda.synchronize()


def memory():
    if device.type != "cuda":
        return {}
    return {"peak_alloc_gib": torch.cuda.max_memory_allocated() / 2**30, "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30}


def new_model():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(vocab_size=args.vocab, hidden_size=896, intermediate_size=4864, num_hidden_layers=args.layers,
                         num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1e6,
                         rms_norm_eps=1e-6, tie_word_embeddings=True, attn_implementation="sdpa",
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    torch.manual_seed(0)
    return Qwen2ForCausalLM(config).to(device).to(dtype)


def random_ids(n, length, low=3):
    g = torch.Generator().manual_seed(0)
    return torch.randint(low, args.vocab, (n, length), generator=g)


def word_tokenizer():
    """A WordLevel tokenizer over the whole vocabulary (w0 … wN), as the anchor built its DPO data."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<bos>": 1, "<eos>": 2, **{f"w{i}": i for i in range(3, args.vocab)}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>")
    return fast


def words(ids):
    return " ".join(f"w{int(i)}" for i in ids)


def step_timer():
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        def __init__(self):
            self.times, self._start = [], None

        def on_step_begin(self, a, state, control, **kw):
            sync()
            self._start = time.perf_counter()

        def on_step_end(self, a, state, control, **kw):
            sync()
            self.times.append(time.perf_counter() - self._start)

    return Timer()


def common_args():
    return dict(output_dir="/tmp/gpu-bench-trl", per_device_train_batch_size=args.batch, max_steps=args.warmup + args.steps,
                learning_rate=1e-5, logging_steps=10, save_strategy="no", report_to="none", bf16=device.type == "cuda",
                use_cpu=device.type == "cpu", gradient_checkpointing=args.gradient_checkpointing, disable_tqdm=True,
                dataloader_num_workers=0, seed=0)


def report(times, tokens_per_step, **extra):
    timed = times[args.warmup:] if len(times) > args.warmup else times
    median = statistics.median(timed)
    print(json.dumps({"workload": args.workload, "median_s": median, "tokens_per_s": tokens_per_step / median,
                      "timed": len(timed), **memory(), **extra}))


def plain_sft():
    model = new_model()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=device.type == "cuda")
    ids = random_ids(args.batch, args.seq).to(device)
    times = []
    for _ in range(args.warmup + args.steps):
        sync()
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        times.append(time.perf_counter() - start)
    report(times, args.batch * args.seq, final_loss=loss.item())


def trl_sft():
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    n = args.batch * (args.warmup + args.steps)
    ids = random_ids(n, args.seq).tolist()
    data = Dataset.from_dict({"input_ids": ids})
    timer = step_timer()
    trainer = SFTTrainer(model=new_model(), args=SFTConfig(max_length=args.seq, **common_args()), train_dataset=data,
                         processing_class=word_tokenizer(), callbacks=[timer])
    trainer.train()
    report(timer.times, args.batch * args.seq)


def trl_dpo():
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    half = args.seq // 2
    n = args.batch * (args.warmup + args.steps)
    ids = random_ids(3 * n, half - 1)
    rows = {"prompt": [words(ids[i]) for i in range(n)],
            "chosen": [words(ids[n + i]) for i in range(n)],
            "rejected": [words(ids[2 * n + i]) for i in range(n)]}
    timer = step_timer()
    trainer = DPOTrainer(model=new_model(), ref_model=new_model(), args=DPOConfig(max_length=args.seq, **common_args()),
                         train_dataset=Dataset.from_dict(rows), processing_class=word_tokenizer(), callbacks=[timer])
    trainer.train()
    report(timer.times, 2 * args.batch * args.seq)


def generate():
    model = new_model().eval()
    ids = random_ids(args.batch, args.prompt).to(device)
    mask = torch.ones_like(ids)
    kwargs = dict(do_sample=True, temperature=1.0, top_p=1.0, top_k=0, max_new_tokens=args.new_tokens,
                  min_new_tokens=args.new_tokens, pad_token_id=0)
    times = []
    with torch.no_grad():
        for _ in range(args.warmup + args.steps):
            sync()
            start = time.perf_counter()
            model.generate(input_ids=ids, attention_mask=mask, **kwargs)
            sync()
            times.append(time.perf_counter() - start)
    report(times, args.batch * args.new_tokens)


def trl_grpo():
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    prompts_per_step = max(1, args.batch // args.num_generations)
    n = prompts_per_step * (args.warmup + args.steps)
    ids = random_ids(n, args.prompt)
    data = Dataset.from_dict({"prompt": [words(ids[i]) for i in range(n)]})

    def length_reward(completions, **kwargs):
        return [float(len(c)) for c in completions]

    timer = step_timer()
    config = GRPOConfig(num_generations=args.num_generations, max_completion_length=args.new_tokens, beta=0.0,
                        loss_type="dapo", temperature=1.0, **common_args())
    trainer = GRPOTrainer(model=new_model(), reward_funcs=length_reward, args=config, train_dataset=data,
                          processing_class=word_tokenizer(), callbacks=[timer])
    trainer.train()
    report(timer.times, args.batch * args.new_tokens)


{"plain_sft": plain_sft, "trl_sft": trl_sft, "trl_dpo": trl_dpo, "generate": generate, "trl_grpo": trl_grpo}[args.workload]()
