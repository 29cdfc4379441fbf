#!/usr/bin/env bash
# Builds and runs every test project, then prints one line "N passed, N failed, N skipped" summed over all of
# them. Exits non-zero if the build or any test fails. Extra arguments go to `dotnet test` (e.g. --filter X).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
export SNAPSHOOTER_STRICT_MODE="${SNAPSHOOTER_STRICT_MODE:-true}"
dotnet build Trl.Packages.sln -c "$CONFIGURATION"
# Stable libraries: package validation against their last release (eng/baseline) fails on a breaking change.
for proj in $(grep -l '<PackageValidationBaselineVersion>' packages/*/*.csproj); do
  dotnet pack "$proj" -c "$CONFIGURATION" --no-build -o artifacts/validated --nologo -v quiet -p:IncludeSymbols=false
done
log="$ROOT/artifacts/test.log"
set +e
dotnet test Trl.Packages.sln -c "$CONFIGURATION" --no-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# dotnet test prints one summary per test assembly: "Passed!  - Failed: 0, Passed: 20, Skipped: 0, Total: 20, ..."
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$log" | awk -F'[:,]' '
  { for (i = 1; i <= NF; i++) { k=$i; gsub(/[^A-Za-z]/, "", k);
      if (k == "Failed") f += $(i+1); else if (k == "Passed") p += $(i+1); else if (k == "Skipped") s += $(i+1) } }
  END { printf "%d %d %d\n", p, f, s }')
assemblies=$(grep -cE '^(Passed|Failed)!' "$log" || true)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "error: dotnet test exited with $status" >&2; fi
if [ "$assemblies" -eq 0 ]; then echo "error: no test assembly ran" >&2; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
