#!/usr/bin/env bash
# Evaluate a checkpoint on N GPUs of one machine (N CPU processes with gloo where no GPU is present):
#   bash tools/dist_test.sh CONFIG CHECKPOINT N [tools/test.py options]
# Several machines, interpreter: the environment variables of tools/dist_launch.sh.
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$3" "$TOOLS/test.py" "$1" "$2" "${@:4}"
