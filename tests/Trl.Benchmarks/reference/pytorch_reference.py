#!/usr/bin/python3
"""The plain-PyTorch side of `throughput --compare`: the same Qwen2-shaped model, shapes, losses and optimizer as the
Trl.NET workloads, written the way a PyTorch user would (batched log-softmax, fused cross-entropy, torch.optim.AdamW).

Workloads (one per process, so peak RSS belongs to it):
  sft  forward -> lm_head on the labelled positions -> CE sum / label count -> TRL's no-grad entropy and accuracy
       -> backward -> clip_grad_norm_(1.0) -> AdamW step -> zero_grad(set_to_none)
  dpo  policy on [chosen; rejected], frozen reference under no_grad, per-token log-probs of the completions,
       sigmoid DPO loss (beta 0.1) and TRL's metrics, backward, clip, AdamW
  gen  greedy decoding with a KV cache (the prefill projects the last position only), one host read per token
Prints one JSON line: median seconds per step (or per generate call) and the process's peak RSS.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("workload", choices=["sft", "dpo", "gen"])
parser.add_argument("--layers", type=int, default=2)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--seq", type=int, default=256)
parser.add_argument("--steps", type=int, default=3)
parser.add_argument("--warmup", type=int, default=1)
parser.add_argument("--prompt", type=int, default=32)
parser.add_argument("--new_tokens", type=int, default=32)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--vocab", type=int, default=151936)
parser.add_argument("--hidden", type=int, default=896)
parser.add_argument("--intermediate", type=int, default=4864)
parser.add_argument("--heads", type=int, default=14)
parser.add_argument("--kv_heads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
HEAD_DIM = args.hidden // args.heads


def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


class Norm(torch.nn.Module):
    def __init__(self, size, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.square().mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        h, kv = args.hidden, args.kv_heads * HEAD_DIM
        self.input_layernorm, self.post_attention_layernorm = Norm(h), Norm(h)
        self.q_proj = torch.nn.Linear(h, h, bias=True)
        self.k_proj = torch.nn.Linear(h, kv, bias=True)
        self.v_proj = torch.nn.Linear(h, kv, bias=True)
        self.o_proj = torch.nn.Linear(h, h, bias=False)
        self.gate_proj = torch.nn.Linear(h, args.intermediate, bias=False)
        self.up_proj = torch.nn.Linear(h, args.intermediate, bias=False)
        self.down_proj = torch.nn.Linear(args.intermediate, h, bias=False)

    def forward(self, x, cos, sin, cache):
        b, t, _ = x.shape
        a = self.input_layernorm(x)
        q = rope(self.q_proj(a).view(b, t, args.heads, HEAD_DIM).transpose(1, 2), cos, sin)
        k = rope(self.k_proj(a).view(b, t, args.kv_heads, HEAD_DIM).transpose(1, 2), cos, sin)
        v = self.v_proj(a).view(b, t, args.kv_heads, HEAD_DIM).transpose(1, 2)
        if cache is not None:
            if cache:
                k, v = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2)
            cache[:] = [k, v]
        group = args.heads // args.kv_heads
        k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        causal = t > 1 and k.shape[2] == t
        attn = F._scaled_dot_product_attention(q, k, v, None, 0.0, False, causal)[0] if hasattr(F, "_scaled_dot_product_attention") \
            else F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        x = x + self.o_proj(attn.transpose(1, 2).reshape(b, t, args.hidden))
        m = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(m)) * self.up_proj(m))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(args.vocab, args.hidden)
        self.layers = torch.nn.ModuleList(Block() for _ in range(args.layers))
        self.norm = Norm(args.hidden)
        self.inv_freq = 1.0 / (1e6 ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("norm.weight"):
                    p.fill_(1.0)
                elif name.endswith("bias"):
                    p.zero_()
                else:
                    p.normal_(0.0, 0.02)

    def hidden_states(self, ids, caches=None, past=0):
        positions = torch.arange(past, past + ids.shape[1]).float()
        angles = torch.outer(positions, self.inv_freq)
        angles = torch.cat((angles, angles), -1)
        cos, sin = angles.cos()[None, None], angles.sin()[None, None]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i])
        return self.norm(x)

    def logits(self, hidden):
        return hidden @ self.embed_tokens.weight.t()


def random_ids(generator, *shape):
    return torch.randint(1, max(2, args.vocab - 1000), shape, generator=generator)


def entropy_chunked(logits):
    with torch.no_grad():
        out = []
        for chunk in logits.split(128):
            lp = chunk.float().log_softmax(-1)
            out.append(-(lp.exp() * lp).sum(-1))
        return torch.cat(out)


def train(step_fn):
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    reference = None
    if args.workload == "dpo":
        reference = Model()
        reference.load_state_dict(model.state_dict())
        reference.requires_grad_(False)
    generator = torch.Generator().manual_seed(0)
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        loss = step_fn(model, reference, generator)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        float(loss)
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    return times


def sft_step(model, _, generator):
    ids = random_ids(generator, args.batch, args.seq)
    hidden = model.hidden_states(ids)[:, :-1].reshape(-1, args.hidden)
    targets = ids[:, 1:].reshape(-1)
    logits = model.logits(hidden)
    loss = F.cross_entropy(logits, targets, reduction="sum") / targets.numel()
    entropy_chunked(logits.detach()).mean()
    (logits.detach().argmax(-1) == targets).float().mean()
    return loss


def dpo_step(model, reference, generator):
    half = args.seq // 2
    prompt = random_ids(generator, args.batch, half)
    chosen, rejected = random_ids(generator, args.batch, half), random_ids(generator, args.batch, half)
    ids = torch.cat((torch.cat((prompt, chosen), 1), torch.cat((prompt, rejected), 1)), 0)
    targets = ids[:, half:]

    def completion_logps(m):
        logits = m.logits(m.hidden_states(ids)[:, half - 1:-1])
        return logits, logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)

    logits, token_logps = completion_logps(model)
    with torch.no_grad():
        _, ref_logps = completion_logps(reference)
    logps, ref = token_logps.sum(1), ref_logps.sum(1)
    margin = 0.1 * ((logps[:args.batch] - ref[:args.batch]) - (logps[args.batch:] - ref[args.batch:]))
    loss = -F.logsigmoid(margin).mean()
    with torch.no_grad():
        flat = logits.detach().reshape(-1, args.vocab)
        entropy_chunked(flat).mean(), flat.mean(-1).mean(), (flat.argmax(-1) == targets.reshape(-1)).float().mean()
    return loss


def generate():
    model = Model().eval()
    generator = torch.Generator().manual_seed(0)
    prompts = random_ids(generator, args.batch, args.prompt)

    def run(new_tokens):
        caches = [[] for _ in range(args.layers)]
        with torch.no_grad():
            last = model.logits(model.hidden_states(prompts, caches)[:, -1])
            past = prompts.shape[1]
            for i in range(new_tokens):
                token = last.argmax(-1)
                token.tolist()
                if i == new_tokens - 1:
                    break
                last = model.logits(model.hidden_states(token[:, None], caches, past)[:, -1])
                past += 1

    run(4)
    times = []
    for _ in range(args.warmup + args.steps):
        start = time.perf_counter()
        run(args.new_tokens)
        times.append(time.perf_counter() - start)
    return times[args.warmup:]


if args.workload == "gen":
    seconds = generate()
else:
    seconds = train(sft_step if args.workload == "sft" else dpo_step)
print(json.dumps({"side": "pytorch", "torch": torch.__version__, "workload": args.workload, "batch": args.batch,
                  "seq": args.seq, "layers": args.layers, "threads": torch.get_num_threads(),
                  "seconds": seconds, "median_s": statistics.median(seconds), "peak_rss_mb": peak_rss_mb()}))
