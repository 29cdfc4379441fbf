#!/usr/bin/env bash
# Side-by-side CPU throughput: Trl.NET's real trainer steps and decoding against plain PyTorch at the same shapes
# (tests/Trl.Benchmarks/reference/pytorch_reference.py), interleaved, same thread count; prints a Markdown table of
# ratios and peak RSS. Needs Debian's python3-torch (apt-get install -y python3-torch); fetches OpenBLAS (not
# installed, just unpacked under artifacts/) because python3-torch's default reference BLAS is ~15x slower.
# Extra arguments go to `throughput --compare` (e.g. --rows 1,3 --rounds 3 --layers 2 --threads 2).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
blas="$ROOT/artifacts/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp"
if [ ! -f "$blas/libblas.so.3" ] && command -v apt-get >/dev/null 2>&1; then
  mkdir -p artifacts/openblas && (cd artifacts/openblas && apt-get download libopenblas0-openmp >/dev/null 2>&1 && dpkg -x libopenblas0-openmp_*.deb .) || true
fi
[ -f "$blas/libblas.so.3" ] && export TRL_BENCH_BLAS_DIR="$blas"
dotnet build tests/Trl.Benchmarks -c "$CONFIGURATION" --nologo -v quiet
exec dotnet "tests/Trl.Benchmarks/bin/$CONFIGURATION/net10.0/Trl.Benchmarks.dll" throughput --compare "$@"
