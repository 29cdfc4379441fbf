#!/usr/bin/env bash
# The main job: builds the `trl` tool (when its sources changed) and runs `trl sft` — with no arguments, on the
# embedded default (a tiny Qwen2-shaped model trained from scratch on a string-reversal task). Arguments go to
# `trl` unchanged, e.g.  build/train.sh --config my_sft.yaml   or   build/train.sh --max_steps 100
exec bash "$(dirname "${BASH_SOURCE[0]}")/trl.sh" sft "$@"
