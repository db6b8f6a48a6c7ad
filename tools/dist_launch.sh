#!/usr/bin/env bash
# torchrun launcher behind dist_train.sh and dist_test.sh:
#   bash tools/dist_launch.sh N SCRIPT [SCRIPT arguments]
# N processes on this machine (one per GPU; gloo CPU processes where no GPU is present). Several
# machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each. PYTHON picks the interpreter.
set -euo pipefail
GPUS=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$SCRIPT" "${@:3}" --launcher pytorch
