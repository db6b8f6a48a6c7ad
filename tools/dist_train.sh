#!/usr/bin/env bash
# Train on N GPUs of one machine (or N CPU processes with gloo where no GPU is present):
#   bash tools/dist_train.sh CONFIG N [tools/train.py options]
# Several machines, interpreter: the environment variables of tools/dist_launch.sh.
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$2" "$TOOLS/train.py" "$1" "${@:3}"
