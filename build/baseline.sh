#!/usr/bin/env bash
# Re-creates eng/baseline/: the packages as released, packed from the release commit named in eng/releases.md.
#   bash build/baseline.sh <commit> <project>...      e.g. build/baseline.sh de12e2e packages/Trl.Core ...
# Stable packages validate against these (package validation, eng/README.md); build/smoke.sh runs a consumer built
# against the released prereleases kept here to prove a facade binary-compatible. Run at release time only.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
commit="$1"; shift
work="$(mktemp -d)"
trap 'git -C "$ROOT" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$ROOT" worktree add --detach "$work/tree" "$commit" >/dev/null
for proj in "$@"; do
  dotnet pack "$work/tree/$proj" -c Release -o "$work/out" --nologo -v quiet -p:IncludeSymbols=false
done
mkdir -p "$ROOT/eng/baseline"
cp "$work/out"/*.nupkg "$ROOT/eng/baseline/"
ls -l "$ROOT/eng/baseline"
