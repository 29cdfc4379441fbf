#!/usr/bin/env bash
# Runs the `trl` tool from the source tree: build/trl.sh <command> [--field value ...]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
dotnet build packages/Trl.Cli -c "$CONFIGURATION" --nologo -v quiet >/dev/null
cd - >/dev/null
exec dotnet "$ROOT/packages/Trl.Cli/bin/$CONFIGURATION/net10.0/trl.dll" "$@"
