#!/usr/bin/env bash
# Regenerate tests/oracle/golden/{co_detr,brs_detr}.json from the official code, in the env of
# tools/oracle/build_env.sh. About 20 s per detector on one CPU core.
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
