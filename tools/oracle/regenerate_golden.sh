#!/usr/bin/env bash
# Regenerate every golden file under tests/oracle/ from the official code, in the env of
# tools/oracle/build_env.sh: golden/{co_detr,brs_detr}.json (Co-DETR, BRS-DETR), the authors'
# one-stage heads ({atss,paa}_{brs,rs,bap}.json) and Faster R-CNN (faster_rcnn_{brs,rs}.json).
# About 20 s per detector on one CPU core.
#
#   bash tools/oracle/regenerate_golden.sh [ORACLE_DIR]
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE_DIR=$(cd "${1:-$REPO/../oracle}" && pwd)
"$ORACLE_DIR/venv/bin/python" -c "
import sys; sys.path.insert(0, '$REPO')
from brs_detr.data.demo_dataset import prepare_demo_dataset
prepare_demo_dataset('$REPO/data/demo_coco')"
for kind in co_detr:Sense-X+Co-DETR brs_detr:blisgard+BucketedRankingBasedLosses; do
    official="$ORACLE_DIR/src/${kind#*:}"
    log="$ORACLE_DIR/make_golden_${kind%%:*}.log"
    if ! OMP_NUM_THREADS=1 PYTHONPATH="$official:$ORACLE_DIR/stubs" "$ORACLE_DIR/venv/bin/python" \
            "$REPO/tools/oracle/make_golden.py" "${kind%%:*}" --official-root "$official" \
            --demo-root "$REPO/data/demo_coco" \
            --out "$REPO/tests/oracle/golden/${kind%%:*}.json" > "$log" 2>&1; then
        tail -20 "$log"; exit 1
    fi
    tail -1 "$log"
done
authors="$ORACLE_DIR/src/blisgard+BucketedRankingBasedLosses"
run_official() {
    OMP_NUM_THREADS=1 PYTHONPATH="$authors:$ORACLE_DIR/stubs" "$ORACLE_DIR/venv/bin/python" "$@"
}
run_official "$REPO/tools/oracle/golden_one_stage.py" --official-root "$authors" \
    --out-dir "$REPO/tests/oracle" | tail -1
for kind in brs rs; do
    run_official "$REPO/tools/oracle/golden_faster_rcnn.py" "$kind" --official-root "$authors" \
        --demo-root "$REPO/data/demo_coco" --out "$REPO/tests/oracle/faster_rcnn_$kind.json" | tail -1
done
