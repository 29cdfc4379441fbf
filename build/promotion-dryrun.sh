#!/usr/bin/env bash
# Dry run of promoting an experimental package (eng/README.md), on a throwaway clone:
#   1. compile an app against Trl.Experimental.Kto (opted in with NoWarn TRLEXP0001);
#   2. promote: packages/Trl.Experimental.Kto -> packages/Trl.Kto (Stable 1.0.0, public API tracked), and re-create
#      Trl.Experimental.Kto as a facade of [TypeForwardedTo] lines (next preview);
#   3. run the OLD app binary against the facade + Trl.Kto: the forwarded types must resolve to Trl.Kto;
#   4. rebuild the app against Trl.Kto with no NoWarn: it must build clean (no TRLEXP0001).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$ROOT" "$work/repo"
repo="$work/repo"

app() {  # $1 = project reference path, $2 = extra property lines
  mkdir -p "$work/app"
  cat > "$work/app/App.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>$2</PropertyGroup>
  <ItemGroup><ProjectReference Include="$1" /></ItemGroup>
</Project>
PROJ
  cat > "$work/app/Program.cs" <<'CS'
var config = new Trl.Kto.KtoConfig { Beta = 0.25, LossType = "apo_zero_unpaired" };
config.Validate();
Console.WriteLine($"KtoConfig(beta={config.Beta}) defined in {typeof(Trl.Kto.KtoConfig).Assembly.GetName().Name}");
CS
}

echo "== 1. an app compiled against the experimental package"
app "$repo/packages/Trl.Experimental.Kto/Trl.Experimental.Kto.csproj" "<NoWarn>\$(NoWarn);TRLEXP0001</NoWarn>"
dotnet build "$work/app" -c Release -o "$work/old-app" --nologo -v quiet > "$work/build1.log" || { cat "$work/build1.log"; exit 1; }
dotnet "$work/old-app/App.dll" | tee "$work/run1.log"
grep -q "defined in Trl.Experimental.Kto" "$work/run1.log"

echo "== 2. promote Trl.Experimental.Kto -> Trl.Kto, facade left behind"
cd "$repo"
git mv packages/Trl.Experimental.Kto packages/Trl.Kto
git mv packages/Trl.Kto/Trl.Experimental.Kto.csproj packages/Trl.Kto/Trl.Kto.csproj
sed -i 's|<TrlStage>Experimental</TrlStage>|<TrlStage>Stable</TrlStage>|; s|<VersionPrefix>0.1.0</VersionPrefix>|<VersionPrefix>1.0.0</VersionPrefix>|; /TrlPreviewNumber/d; /TrlExperimentalDiagnosticId/d' packages/Trl.Kto/Trl.Kto.csproj
echo '#nullable enable' > packages/Trl.Kto/PublicAPI.Shipped.txt
echo '#nullable enable' > packages/Trl.Kto/PublicAPI.Unshipped.txt
bash build/update-public-api.sh packages/Trl.Kto
mkdir -p packages/Trl.Experimental.Kto
cat > packages/Trl.Experimental.Kto/Trl.Experimental.Kto.csproj <<'PROJ'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TrlStage>Experimental</TrlStage>
    <VersionPrefix>0.1.0</VersionPrefix>
    <TrlPreviewNumber>2</TrlPreviewNumber>
    <TrlExperimentalDiagnosticId>TRLEXP0001</TrlExperimentalDiagnosticId>
    <Description>Moved to Trl.Kto: this facade forwards the old types there.</Description>
  </PropertyGroup>
  <ItemGroup><ProjectReference Include="../Trl.Kto/Trl.Kto.csproj" /></ItemGroup>
</Project>
PROJ
{
  echo "// Every public type moved to Trl.Kto: binaries built against the experimental package keep working."
  grep -hoE '^public (sealed |static |abstract )*(partial )?(class|record|struct|interface|enum) [A-Za-z0-9_]+' packages/Trl.Kto/*.cs \
    | awk '{print $NF}' | sort -u | sed 's|.*|[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(Trl.Kto.&))]|'
} > packages/Trl.Experimental.Kto/TypeForwarders.cs
cat packages/Trl.Experimental.Kto/TypeForwarders.cs
dotnet build packages/Trl.Experimental.Kto -c Release --nologo -v quiet > "$work/build2.log" || { cat "$work/build2.log"; exit 1; }

echo "== 3. the OLD binary against the facade + Trl.Kto"
cp packages/Trl.Experimental.Kto/bin/Release/net10.0/Trl.Experimental.Kto.dll packages/Trl.Kto/bin/Release/net10.0/Trl.Kto.dll "$work/old-app/"
# The old deps.json does not list Trl.Kto (it did not exist): without it the host loads every assembly in the folder.
rm "$work/old-app/App.deps.json"
dotnet "$work/old-app/App.dll" | tee "$work/run2.log"
grep -q "defined in Trl.Kto" "$work/run2.log"

echo "== 4. new code against Trl.Kto needs no opt-in"
rm -rf "$work/app"
app "$repo/packages/Trl.Kto/Trl.Kto.csproj" ""
dotnet build "$work/app" -c Release --nologo -v quiet > "$work/build3.log" || { cat "$work/build3.log"; exit 1; }
echo "promotion dry run OK"
