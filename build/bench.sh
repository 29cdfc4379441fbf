#!/usr/bin/env bash
# Runs the BenchmarkDotNet benchmarks (not part of CI). Example: build/bench.sh --filter '*LogProb*'
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--filter '*' --memory)
dotnet run -c "$CONFIGURATION" --project tests/Trl.Benchmarks -- "${args[@]}"
