#!/usr/bin/env bash
# The README's main command: set everything up, then train, evaluate and draw the tiny BRS-DETR on
# a small real COCO-format dataset, on the CPU, in a few minutes.
#   bash tools/quickstart.sh
# Environment: CONFIG (default the tiny BRS-DETR), WORK_DIR (default work_dirs/quickstart),
# BRS_VENV / BRS_CACHE (see tools/setup_env.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIG="${CONFIG:-configs/brs_detr/brs_detr_tiny_1xb2-demo.py}"
WORK_DIR="${WORK_DIR:-work_dirs/quickstart}"
PY="${BRS_VENV:-$ROOT/.venv}/bin/python"
say() { printf '\n[quickstart] %s\n' "$*"; }

say "1/5 installing the stack"
bash tools/setup_env.sh

say "2/5 preparing the demo dataset"
"$PY" tools/prepare_demo_data.py --root data/demo_coco

say "3/5 training $CONFIG on the CPU"
start=$(date +%s)
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" "$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
ckpt="$(cat "$WORK_DIR/last_checkpoint")"
say "trained in $(( $(date +%s) - start )) s -> $ckpt"

say "4/5 evaluating (COCO AP on the demo images)"
"$PY" tools/test.py "$CONFIG" "$ckpt" --work-dir "$WORK_DIR/eval" --metrics-json "$WORK_DIR/coco_metrics.json"

say "5/5 drawing its detections"
"$PY" tools/infer.py "$CONFIG" "$ckpt" data/demo_coco/images --out-dir "$WORK_DIR/infer"  # default --score-thr 0.05

say "done:
  checkpoint        $ckpt
  training log      $WORK_DIR/$(ls -t "$WORK_DIR" | grep -E '^[0-9]{8}_[0-9]{6}$' | head -n 1)/
  COCO metrics      $WORK_DIR/coco_metrics.json
  detections        $WORK_DIR/infer/detections.json
  pictures          $WORK_DIR/infer/vis/"
