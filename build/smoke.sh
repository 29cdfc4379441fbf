#!/usr/bin/env bash
# Packs the family, then builds and runs consumer projects OUTSIDE the solution that restore Trl.* only from
# artifacts/packages (third-party packages from nuget.org) into a fresh package cache, as a user would.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
bash build/pack.sh >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/nuget-cache"   # fresh: no stale same-version Trl.* package can be served
cat > "$work/NuGet.config" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="trl-local" value="$ROOT/artifacts/packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="trl-local"><package pattern="Trl.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CFG

run_consumer() {
  local name="$1"
  cp -r "$ROOT/build/smoke/$name" "$work/$name"
  echo "== $name"
  dotnet run --project "$work/$name" -c Release
  # The restore graph of a stable-only consumer must contain no experimental package.
  if [ "${2:-}" = "stable-only" ] && grep -qi '"Trl.Experimental' "$work/$name/obj/project.assets.json"; then
    echo "error: $name pulled in an experimental package" >&2; exit 1
  fi
}

run_consumer StableConsumer stable-only

# The tool installs from the local feed and runs.
echo "== dotnet tool install Trl.Cli"
dotnet tool install Trl.Cli --version 1.0.0 --tool-path "$work/tools" --configfile "$work/NuGet.config" >/dev/null
"$work/tools/trl" env
echo "smoke OK"
