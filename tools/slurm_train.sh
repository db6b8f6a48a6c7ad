#!/usr/bin/env bash
# Train with Slurm (one task per GPU):
#   GPUS=16 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py options]
# GPUs, CPUs, srun options, interpreter: the environment variables of tools/slurm_launch.sh.
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/slurm_launch.sh" "$1" "$2" "$TOOLS/train.py" "$3" --work-dir="$4" "${@:5}"
