#!/usr/bin/env bash
# Dry run of retiring an experimental package by rule (eng/README.md, "Retiring a package"), on a throwaway clone,
# with Trl.Experimental.Prm as the example (nothing is retired for real):
#   1. last preview: declare TrlDeprecated (the reason and the replacement) and bump the preview number;
#   2. pack it: the package says so on a feed (description, release notes, `deprecated` tag) and a project that builds
#      against it gets warning TRLOBS0005, which TreatWarningsAsErrors turns into an error like [Obsolete] would;
#   3. the `trl` tool built from that state marks the subcommand deprecated in --help and when it runs;
#   4. the next release removes the package, its tests and its subcommand; the tool still builds and its tests compile,
#      and `trl prm` is an unknown command (exit 2).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$ROOT" "$work/repo"
repo="$work/repo"
cd "$repo"
reason="PRM is retired (upstream TRL removed PRMTrainer): train a step-wise reward model with Trl.Reward on per-step rows instead."

echo "== 1. the last preview of Trl.Experimental.Prm declares why it is retired"
proj=packages/Trl.Experimental.Prm/Trl.Experimental.Prm.csproj
sed -i "s|<TrlPreviewNumber>1</TrlPreviewNumber>|<TrlPreviewNumber>2</TrlPreviewNumber>\n    <TrlDeprecated>$reason</TrlDeprecated>|" "$proj"
grep -q "<TrlDeprecated>" "$proj"

echo "== 2. packed, it says so on the feed and to every build against it"
for p in packages/Trl.Core "$proj"; do
  dotnet pack "$p" -c Release -o "$work/feed" --nologo -v quiet -p:IncludeSymbols=false > "$work/pack.log" || { cat "$work/pack.log"; exit 1; }
done
nuspec="$(unzip -p "$work/feed/Trl.Experimental.Prm.0.1.0-preview.2.nupkg" Trl.Experimental.Prm.nuspec)"
grep -q "<releaseNotes>$reason</releaseNotes>" <<<"$nuspec"
grep -q "<description>\[Deprecated\] $reason" <<<"$nuspec"
grep -q "<tags>.*deprecated</tags>" <<<"$nuspec"
mkdir -p "$work/consumer"
cat > "$work/consumer/NuGet.config" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources><clear /><add key="retired" value="$work/feed" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>
  <packageSourceMapping>
    <packageSource key="retired"><package pattern="Trl.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CFG
cat > "$work/consumer/Consumer.csproj" <<'PROJ'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><NoWarn>$(NoWarn);TRLEXP0005</NoWarn></PropertyGroup>
  <ItemGroup><PackageReference Include="Trl.Experimental.Prm" Version="[0.1.0-preview.2]" /></ItemGroup>
</Project>
PROJ
echo 'System.Console.WriteLine(new Trl.Prm.PrmConfig().StepSeparator.Length);' > "$work/consumer/Program.cs"
export NUGET_PACKAGES="$work/nuget-cache"
dotnet build "$work/consumer" -c Release > "$work/consumer.log" 2>&1 || { tail -20 "$work/consumer.log"; exit 1; }
grep -q "warning TRLOBS0005: Trl.Experimental.Prm 0.1.0-preview.2 is deprecated: $reason" "$work/consumer.log" \
  || { echo "error: no TRLOBS0005 warning" >&2; tail -20 "$work/consumer.log" >&2; exit 1; }
echo "builds with warning TRLOBS0005"
if dotnet build "$work/consumer" -c Release --no-incremental -p:TreatWarningsAsErrors=true > "$work/consumer2.log" 2>&1; then
  echo "error: TreatWarningsAsErrors did not turn TRLOBS0005 into an error" >&2; exit 1
fi
grep -q "error TRLOBS0005" "$work/consumer2.log"
echo "with TreatWarningsAsErrors: error TRLOBS0005"
unset NUGET_PACKAGES

echo "== 3. the tool marks the subcommand deprecated"
dotnet build packages/Trl.Cli -c Release --nologo -v quiet > "$work/cli.log" || { tail -20 "$work/cli.log"; exit 1; }
trl="packages/Trl.Cli/bin/Release/net10.0/trl"
"$trl" --help | grep -E "^  prm .*\(Trl.Experimental.Prm, deprecated\)"
"$trl" prm --max_steps 1 --output_dir "$work/prm-out" | tee "$work/prm.log"
grep -q "trl prm: deprecated — $reason" "$work/prm.log"

echo "== 4. the next release removes it"
dotnet sln Trl.Packages.sln remove packages/Trl.Experimental.Prm/Trl.Experimental.Prm.csproj tests/Trl.Experimental.Prm.Tests/Trl.Experimental.Prm.Tests.csproj > /dev/null
git rm -rqf packages/Trl.Experimental.Prm tests/Trl.Experimental.Prm.Tests packages/Trl.Cli/Commands/Trainers/PrmCommand.cs
rm -rf packages/Trl.Experimental.Prm tests/Trl.Experimental.Prm.Tests   # their bin/ and obj/
sed -i 's/ new PrmCommand(),//' packages/Trl.Cli/Commands/TrainerCommands.cs
sed -i '/Trl.Experimental.Prm.csproj/d' packages/Trl.Cli/Trl.Cli.csproj
# The CLI's tests name every subcommand where a case needs its own data: those cases go with it.
sed -i 's/, typeof(Trl.Prm.PrmConfig)//' tests/Trl.Cli.Tests/ArgumentTests.cs
sed -i '/("prm", "stepwise.jsonl"/d' tests/Trl.Cli.Tests/BadRowsTests.cs
sed -i '/\[TestCase("prm", /d' tests/Trl.Cli.Tests/CommandTests.cs
sed -i 's/"prm", //' tests/Trl.Cli.Tests/ResumeTests.cs
if grep -rn "Trl\.Prm\|PrmCommand\|\"prm\"" packages tests --include=*.cs --include=*.csproj; then echo "error: references to the retired package remain" >&2; exit 1; fi
dotnet build tests/Trl.Cli.Tests -c Release --nologo -v quiet > "$work/cli2.log" || { tail -20 "$work/cli2.log"; exit 1; }
set +e; "$trl" prm > "$work/gone.log" 2>&1; code=$?; set -e
cat "$work/gone.log"
[ "$code" -eq 2 ] || { echo "error: trl prm exited $code, expected 2 (unknown command)" >&2; exit 1; }
echo "retire dry run OK (a real retirement marks TRLEXP0005 / TRLOBS0005 retired in eng/README.md; ids are never reused)"
