#!/usr/bin/env bash
# Packs every package (packages/*) into artifacts/packages: .nupkg plus .snupkg symbols.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
rm -f artifacts/packages/*.nupkg artifacts/packages/*.snupkg
for proj in packages/*/*.csproj; do
  dotnet pack "$proj" -c "$CONFIGURATION" -o artifacts/packages --nologo "$@"
done
ls -1 artifacts/packages
