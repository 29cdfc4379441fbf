#!/usr/bin/env bash
# Packs the family, then builds and runs consumer projects OUTSIDE the solution that restore Trl.* only from
# artifacts/packages (third-party packages from nuget.org) into a fresh package cache, as a user would.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
bash build/pack.sh > "${TMPDIR:-/tmp}/trl-smoke-pack.log" || { tail -30 "${TMPDIR:-/tmp}/trl-smoke-pack.log" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/nuget-cache"   # fresh: no stale same-version Trl.* package can be served
cat > "$work/NuGet.config" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="trl-local" value="$ROOT/artifacts/packages" />
    <add key="trl-baseline" value="$ROOT/eng/baseline" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="trl-local"><package pattern="Trl.*" /></packageSource>
    <packageSource key="trl-baseline"><package pattern="Trl.*" /></packageSource>
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

# Opting in takes both steps: without the suppression the same project must fail with TRLEXP0002.
echo "== ExperimentalConsumer without <NoWarn>TRLEXP0002</NoWarn>"
cp -r "$ROOT/build/smoke/ExperimentalConsumer" "$work/NoOptIn"
sed -i '/TRLEXP0002<\/NoWarn>/d' "$work/NoOptIn/ExperimentalConsumer.csproj"
if dotnet build "$work/NoOptIn" -c Release > "$work/noopt.log" 2>&1; then
  echo "error: using an experimental package without opting in built successfully" >&2; exit 1
fi
grep -q "error TRLEXP0002" "$work/noopt.log" || { echo "error: the build failed, but not with TRLEXP0002" >&2; tail -20 "$work/noopt.log" >&2; exit 1; }
echo "fails with TRLEXP0002, as it must"

# Promotion: a library compiled against the released Trl.Experimental.Kto / .Rloo 0.1.0-preview.1 (eng/baseline) runs
# unchanged in an application that moved to the facades (0.1.0-preview.2), which forward to Trl.Kto / Trl.Rloo.
echo "== binary compatibility across the KTO and RLOO promotions"
cp -r "$ROOT/build/smoke/OldLibrary" "$work/OldLibrary"
dotnet build "$work/OldLibrary" -c Release -o "$work/old-bin" > "$work/oldlib.log" 2>&1 || { tail -20 "$work/oldlib.log" >&2; exit 1; }
grep -q '"Trl.Core/1.0.0"' "$work/OldLibrary/obj/project.assets.json" || { echo "error: OldLibrary did not build against the released Trl.Core 1.0.0" >&2; exit 1; }
cp -r "$ROOT/build/smoke/BinaryCompat" "$work/BinaryCompat"
dotnet build "$work/BinaryCompat" -c Release -p:OldLibraryDll="$work/old-bin/OldLibrary.dll" > "$work/compat.log" 2>&1 || { tail -20 "$work/compat.log" >&2; exit 1; }
for id in TRLOBS0001 TRLOBS0010; do
  grep -q "warning $id: Trl.Experimental.* is deprecated" "$work/compat.log" || { echo "error: building against the facade did not warn $id" >&2; exit 1; }
done
echo "building against the facades warns TRLOBS0001 and TRLOBS0010"
dotnet run --project "$work/BinaryCompat" -c Release --no-build | tee "$work/compat-run.log"
grep -q "from Trl.Kto, RlooConfig(num_generations=4) from Trl.Rloo" "$work/compat-run.log"

# A floating stable range never resolves a prerelease.
echo "== FloatingStable"
cp -r "$ROOT/build/smoke/FloatingStable" "$work/FloatingStable"
if dotnet restore "$work/FloatingStable" > "$work/floating.log" 2>&1; then
  echo "error: a floating stable range resolved a prerelease package" >&2; exit 1
fi
grep -q "NU1103" "$work/floating.log" || { echo "error: restore failed, but not with NU1103" >&2; tail -20 "$work/floating.log" >&2; exit 1; }
echo "Trl.Experimental.Cpo 0.* finds no stable version (NU1103), as it must"

# The family rule: a Stable package may not reference an Experimental one.
echo "== stable -> experimental reference"
rule="$ROOT/artifacts/rulecheck/Trl.BadStable"
rm -rf "$rule" && mkdir -p "$rule"
cat > "$rule/Trl.BadStable.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TrlStage>Stable</TrlStage><VersionPrefix>1.0.0</VersionPrefix></PropertyGroup>
  <ItemGroup><ProjectReference Include="$ROOT/packages/Trl.Experimental.Cpo/Trl.Experimental.Cpo.csproj" /></ItemGroup>
</Project>
PROJ
echo 'namespace Trl.BadStable; public static class Empty { }' > "$rule/Empty.cs"
if dotnet build "$rule" -c Release > "$work/rule.log" 2>&1; then
  echo "error: a stable package referencing an experimental one built" >&2; exit 1
fi
grep -q "is Stable but references the Experimental package Trl.Experimental.Cpo" "$work/rule.log" || { tail -20 "$work/rule.log" >&2; exit 1; }

echo "refused: Trl.BadStable is Stable but references the Experimental package Trl.Experimental.Cpo"

# Guarding stable APIs: removing shipped API from a stable package fails twice over — the public-API analyzer
# refuses the build (RS0017), and package validation against the released 1.0.0 (eng/baseline) refuses the pack (CP0001/CP0002).
echo "== a breaking change to stable Trl.Reward"
brk="$ROOT/artifacts/rulecheck/Trl.Reward"
mkdir -p "$brk" && cp "$ROOT"/packages/Trl.Reward/{*.cs,*.csproj,PublicAPI.*.txt,README.md} "$brk/"
rm "$brk/RewardServiceCollectionExtensions.cs"
if dotnet build "$brk" -c Release > "$work/break1.log" 2>&1; then echo "error: removing shipped API built" >&2; exit 1; fi
grep -q "error RS0017" "$work/break1.log" || { tail -20 "$work/break1.log" >&2; exit 1; }
echo "build refused: RS0017"
if dotnet pack "$brk" -c Release -o "$work/break-pack" -p:TreatWarningsAsErrors=false > "$work/break2.log" 2>&1; then echo "error: removing shipped API packed" >&2; exit 1; fi
grep -qE "error CP000[12]" "$work/break2.log" || { tail -20 "$work/break2.log" >&2; exit 1; }
echo "pack refused by package validation against Trl.Reward 1.0.0: $(grep -oE "error CP000[12]: [^[]*" "$work/break2.log" | head -1)"
rm -rf "$ROOT/artifacts/rulecheck"

# The stable tool bundles the experimental trainers privately: its package must declare no dependency at all.
cli_version="$(sed -n 's|.*<VersionPrefix>\(.*\)</VersionPrefix>.*|\1|p' "$ROOT/packages/Trl.Cli/Trl.Cli.csproj")"
for pkg in "Trl.Cli" "Trl.Cli.linux-x64" "Trl.Cli.win-x64" "Trl.Cli.osx-arm64"; do
  nupkg="$ROOT/artifacts/packages/$pkg.$cli_version.nupkg"
  if unzip -p "$nupkg" "$pkg.nuspec" | grep -qi "<dependency"; then
    echo "FAIL: the stable tool package $pkg declares NuGet dependencies"; exit 1
  fi
  size=$(stat -c %s "$nupkg")
  # nuget.org refuses packages over 250 MB.
  [ "$size" -lt 250000000 ] || { echo "FAIL: $pkg is $((size / 1000000)) MB, over nuget.org's 250 MB limit"; exit 1; }
  echo "$pkg $cli_version: $((size / 1000000)) MB, no dependencies"
done
# The tool installs from the local feed and runs.
echo "== dotnet tool install Trl.Cli"
dotnet tool install Trl.Cli --version "$cli_version" --tool-path "$work/tools" --configfile "$work/NuGet.config" >/dev/null
"$work/tools/trl" env
echo "installed tool: $(du -sm "$work/tools" | cut -f1) MB"
echo "smoke OK"
