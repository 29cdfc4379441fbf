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

export TRL_SMOKE_MODEL="$ROOT/packages/Trl.Cli/EmbeddedDefault"
run_consumer StableConsumer stable-only
run_consumer ExperimentalConsumer

# Opting in takes both steps: without the suppression the same project must fail with TRLEXP0001.
echo "== ExperimentalConsumer without <NoWarn>TRLEXP0001</NoWarn>"
cp -r "$ROOT/build/smoke/ExperimentalConsumer" "$work/NoOptIn"
sed -i '/TRLEXP0001<\/NoWarn>/d' "$work/NoOptIn/ExperimentalConsumer.csproj"
if dotnet build "$work/NoOptIn" -c Release > "$work/noopt.log" 2>&1; then
  echo "error: using an experimental package without opting in built successfully" >&2; exit 1
fi
grep -q "error TRLEXP0001" "$work/noopt.log" || { echo "error: the build failed, but not with TRLEXP0001" >&2; tail -20 "$work/noopt.log" >&2; exit 1; }
echo "fails with TRLEXP0001, as it must"

# A floating stable range never resolves a prerelease.
echo "== FloatingStable"
cp -r "$ROOT/build/smoke/FloatingStable" "$work/FloatingStable"
if dotnet restore "$work/FloatingStable" > "$work/floating.log" 2>&1; then
  echo "error: a floating stable range resolved a prerelease package" >&2; exit 1
fi
grep -q "NU1103" "$work/floating.log" || { echo "error: restore failed, but not with NU1103" >&2; tail -20 "$work/floating.log" >&2; exit 1; }
echo "Trl.Experimental.Kto 0.* finds no stable version (NU1103), as it must"

# The family rule: a Stable package may not reference an Experimental one.
echo "== stable -> experimental reference"
rule="$ROOT/artifacts/rulecheck/Trl.BadStable"
rm -rf "$rule" && mkdir -p "$rule"
cat > "$rule/Trl.BadStable.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TrlStage>Stable</TrlStage><VersionPrefix>1.0.0</VersionPrefix></PropertyGroup>
  <ItemGroup><ProjectReference Include="$ROOT/packages/Trl.Experimental.Kto/Trl.Experimental.Kto.csproj" /></ItemGroup>
</Project>
PROJ
echo 'namespace Trl.BadStable; public static class Empty { }' > "$rule/Empty.cs"
if dotnet build "$rule" -c Release > "$work/rule.log" 2>&1; then
  echo "error: a stable package referencing an experimental one built" >&2; exit 1
fi
grep -q "is Stable but references the Experimental package Trl.Experimental.Kto" "$work/rule.log" || { tail -20 "$work/rule.log" >&2; exit 1; }
rm -rf "$ROOT/artifacts/rulecheck"
echo "refused: Trl.BadStable is Stable but references the Experimental package Trl.Experimental.Kto"

# The stable tool bundles the experimental trainers privately: its package must declare no dependency at all.
if unzip -p "$ROOT/artifacts/packages/Trl.Cli.1.0.0.nupkg" Trl.Cli.nuspec | grep -qi "<dependency"; then
  echo "FAIL: the stable Trl.Cli tool package declares NuGet dependencies"; exit 1
fi
# The tool installs from the local feed and runs.
echo "== dotnet tool install Trl.Cli"
dotnet tool install Trl.Cli --version 1.0.0 --tool-path "$work/tools" --configfile "$work/NuGet.config" >/dev/null
"$work/tools/trl" env
echo "smoke OK"
