#!/usr/bin/env bash
# The main job: builds the `trl` tool and runs `trl sft` — with no arguments, on the embedded default (a tiny
# Qwen2-shaped model trained from scratch on a string-reversal task; ~10 s on 2 CPU cores). Arguments go to
# `trl` unchanged, e.g.  build/train.sh --config my_sft.yaml   or   build/train.sh --max_steps 100
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
dotnet build packages/Trl.Cli -c "$CONFIGURATION" --nologo -v quiet
exec dotnet "packages/Trl.Cli/bin/$CONFIGURATION/net10.0/trl.dll" sft "$@"
