#!/usr/bin/env bash
# Restores and builds the whole solution (packages, tests, tools).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
dotnet build Trl.Packages.sln -c "$CONFIGURATION" "$@"
