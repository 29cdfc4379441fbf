#!/usr/bin/env bash
# GPU throughput of Trl.NET against plain PyTorch, transformers and TRL, all measured in ONE run on the same GPU at the
# shapes of the H100 anchor (tests/fixtures/trl/bench): Qwen2.5-0.5B shape, random init, bf16.
#
#   build/gpu-bench.sh prepare   on the build machine: a self-contained publish of the throughput harness that carries
#                                managed TorchSharp only (no CPU libtorch), the Python references and, when
#                                TRL_PY_SOURCES names folders holding the pure-Python packages trl, datasets, dill and
#                                multiprocess, those too; everything lands in artifacts/gpu-bench (carry that folder)
#   build/gpu-bench.sh run       on the GPU machine: libtorch comes from the installed PyTorch (torch/lib on
#                                LD_LIBRARY_PATH); prints one Markdown table of tokens/s, peak memory and ratios
#   build/gpu-bench.sh smoke     on a CPU: the same run at a tiny shape with the CPU backend (checks the plumbing)
#
# Budget: ~8 minutes of device time (each workload has its own timeout; a failing one prints "n/a" and the run goes on).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/artifacts/gpu-bench"
mode="${1:-run}"

prepare() {
  source "$ROOT/build/common.sh"
  rm -rf "$OUT" && mkdir -p "$OUT/app" "$OUT/py"
  dotnet publish "$ROOT/tests/Trl.Benchmarks" -c Release -r linux-x64 --self-contained true -p:TrlNativeBackend=none \
    -o "$OUT/app" --nologo -v quiet
  find "$OUT/app" -name '*.pdb' -delete
  cp "$ROOT/tests/Trl.Benchmarks/reference/gpu_reference.py" "$OUT/py/"
  for src in ${TRL_PY_SOURCES:-}; do cp -r "$src" "$OUT/py/"; done
  tar -cJf "$OUT/app.tar.xz" -C "$OUT/app" . && rm -rf "$OUT/app"
  du -sh "$OUT"
}

# Peak GPU memory (MiB, nvidia-smi) of a command, sampled every 50 ms: the same yardstick for every side.
with_peak_memory() {
  local log; log=$(mktemp)
  ( while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1 >> "$log"; sleep 0.05; done ) &
  local sampler=$!
  "$@"; local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  echo "PEAK_MIB $(sort -n "$log" | tail -1)"; rm -f "$log"
  return $rc
}

run() {
  local device="$1" small="$2"
  local app="$OUT/app"
  if [ "$small" = 0 ] && [ ! -d "$app" ]; then mkdir -p "$app" && tar -xJf "$OUT/app.tar.xz" -C "$app"; fi
  local py="${PYTHON:-python3}" bench="$app/Trl.Benchmarks"
  # The reference needs torch; prefer an interpreter that has it (a pyenv shim may not).
  if ! "$py" -c "import torch" 2>/dev/null && [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; fi
  local shape=(--layers 24) pyshape=(--layers 24) sft=(--batch 8 --seq 1024) dpo=(--batch 8 --seq 512) steps=(--steps 10 --warmup 3)
  if [ "$small" = 1 ]; then
    shape=(--small) pyshape=(--layers 1 --vocab 512) sft=(--batch 2 --seq 64) dpo=(--batch 2 --seq 64) steps=(--steps 2 --warmup 1)
    bench="dotnet $ROOT/tests/Trl.Benchmarks/bin/Release/net10.0/Trl.Benchmarks.dll"
  else
    TL=$("$py" -c "import torch,os;print(os.path.dirname(torch.__file__)+'/lib')")
    export LD_LIBRARY_PATH="$TL:${LD_LIBRARY_PATH:-}"
  fi
  export PYTHONPATH="$OUT/py:${PYTHONPATH:-}"
  local results; results=$(mktemp)
  one() {  # name, timeout, command...
    local name="$1" limit="$2"; shift 2
    echo "== $name" >&2
    local text; text=$(with_peak_memory timeout "$limit" "$@" 2>&2)
    local json; json=$(echo "$text" | grep '^{' | tail -1)
    local peak; peak=$(echo "$text" | sed -n 's/^PEAK_MIB //p')
    echo "$name|${json:-{\}}|${peak:-}" >> "$results"
  }
  local gen_new=256; [ "$small" = 1 ] && gen_new=8
  one "Trl.NET SFT (bf16 weights)"          300 $bench throughput --only sft --device "$device" --pure_bf16 "${shape[@]}" "${sft[@]}" "${steps[@]}"
  one "Trl.NET SFT (bf16 mixed, fp32 masters)" 300 $bench throughput --only sft --device "$device" --bf16 "${shape[@]}" "${sft[@]}" "${steps[@]}"
  one "plain PyTorch SFT"                   300 "$py" "$OUT/py/gpu_reference.py" plain_sft --device "$device" "${pyshape[@]}" "${sft[@]}" "${steps[@]}"
  one "TRL SFTTrainer"                      300 "$py" "$OUT/py/gpu_reference.py" trl_sft --device "$device" "${pyshape[@]}" "${sft[@]}" "${steps[@]}"
  one "Trl.NET DPO"                         300 $bench throughput --only dpo --device "$device" --pure_bf16 "${shape[@]}" "${dpo[@]}" "${steps[@]}"
  one "TRL DPOTrainer"                      300 "$py" "$OUT/py/gpu_reference.py" trl_dpo --device "$device" "${pyshape[@]}" "${dpo[@]}" "${steps[@]}"
  for b in 8 64; do
    one "Trl.NET generate b$b"              300 $bench throughput --only gen --device "$device" --pure_bf16 --sample "${shape[@]}" --batch $b --prompt 128 --new_tokens $gen_new --steps 3 --warmup 1
    one "transformers generate b$b"         300 "$py" "$OUT/py/gpu_reference.py" generate --device "$device" "${pyshape[@]}" --batch $b --prompt 128 --new_tokens $gen_new --steps 3 --warmup 1
  done
  one "Trl.NET GRPO step"                   300 $bench throughput --only grpo --device "$device" --pure_bf16 "${shape[@]}" --batch 8 --prompt 128 --new_tokens $gen_new --steps 2 --warmup 1
  one "TRL GRPOTrainer step"                300 "$py" "$OUT/py/gpu_reference.py" trl_grpo --device "$device" "${pyshape[@]}" --batch 8 --prompt 128 --new_tokens $gen_new --steps 2 --warmup 1
  "$py" - "$results" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    name, js, peak = line.rstrip("\n").split("|", 2)
    try: d = json.loads(js)
    except ValueError: d = {}
    sec = d.get("median_s") or (d.get(next((k for k in d if isinstance(d.get(k), dict)), ""), {}) or {}).get("median_s")
    inner = next((v for v in d.values() if isinstance(v, dict)), {})
    tps = d.get("tokens_per_s") or inner.get("tokens_per_s") or inner.get("new_tokens_per_s")
    rows.append((name, sec, tps, peak))
def pair(a, b):
    x = {r[0]: r for r in rows}
    if a in x and b in x and x[a][2] and x[b][2]: return f"{x[a][2] / x[b][2]:.2f}x"
    return "n/a"
print("| run | s/step (or per generate) | tokens/s | peak GPU MiB (nvidia-smi) |")
print("|---|---|---|---|")
for name, sec, tps, peak in rows:
    print(f"| {name} | {sec if sec is None else f'{sec:.4f}'} | {tps if tps is None else f'{tps:,.0f}'} | {peak or 'n/a'} |")
print()
print(f"SFT Trl.NET / TRL: {pair('Trl.NET SFT (bf16 weights)', 'TRL SFTTrainer')} (goal >= 1.3x); vs plain PyTorch: {pair('Trl.NET SFT (bf16 weights)', 'plain PyTorch SFT')}")
print(f"DPO Trl.NET / TRL: {pair('Trl.NET DPO', 'TRL DPOTrainer')} (goal >= 1.3x)")
print(f"generate b8: {pair('Trl.NET generate b8', 'transformers generate b8')}, b64: {pair('Trl.NET generate b64', 'transformers generate b64')} (goal >= 2x)")
print(f"GRPO step: {pair('Trl.NET GRPO step', 'TRL GRPOTrainer step')}")
PY
  rm -f "$results"
}

case "$mode" in
  prepare) prepare ;;
  run) run cuda 0 ;;
  smoke)
    source "$ROOT/build/common.sh"
    set +e   # common.sh turns on -e; a failing workload must not end the run
    dotnet build "$ROOT/tests/Trl.Benchmarks" -c Release --nologo -v quiet >/dev/null
    mkdir -p "$OUT/py" && cp "$ROOT/tests/Trl.Benchmarks/reference/gpu_reference.py" "$OUT/py/"
    run cpu 1 ;;
  *) echo "usage: build/gpu-bench.sh prepare|run|smoke" >&2; exit 2 ;;
esac
