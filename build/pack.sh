#!/usr/bin/env bash
# Packs every package (packages/*) into artifacts/packages: .nupkg plus .snupkg symbols. The trl tool packs as one
# RID-specific package per platform (Trl.Cli.linux-x64, .win-x64, .osx-arm64) plus the Trl.Cli pointer package.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
rm -f artifacts/packages/*.nupkg artifacts/packages/*.snupkg
for proj in packages/*/*.csproj; do
  extra=()
  if grep -q '<PackAsTool>true</PackAsTool>' "$proj"; then extra=(-p:TrlCpuBackendAllPlatforms=true); fi
  dotnet pack "$proj" -c "$CONFIGURATION" -o artifacts/packages --nologo "${extra[@]}" "$@"
done
# The tool's own obj was restored for every platform; the next build restores it for this one again.
ls -1 artifacts/packages
