#!/usr/bin/env bash
# Evaluate a checkpoint with Slurm (one task per GPU):
#   GPUS=8 bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [tools/test.py options]
# GPUs, CPUs, srun options, interpreter: the environment variables of tools/slurm_launch.sh.
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/slurm_launch.sh" "$1" "$2" "$TOOLS/test.py" "$3" "$4" "${@:5}"
