#!/usr/bin/env bash
# Build the official-code oracle env OUTSIDE the repo (default: ../oracle next to the checkout):
# a venv with torch 2.14.1 + mmcv-full 1.7.2 (trimmed CPU build) + the mmdet 2.x deps, and the
# two official source trees at the commits the golden numbers were made with. Needs network
# (PyPI, GitHub) and a C++ compiler; about 5 minutes on 2 cores. Nothing here is installed into
# the repo's own env, and no official code enters the repo.
#
#   bash tools/oracle/build_env.sh [ORACLE_DIR]
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE_DIR=$(mkdir -p "${1:-$REPO/../oracle}" && cd "${1:-$REPO/../oracle}" && pwd)
CO_DETR=Sense-X/Co-DETR@26653521e47157fdd819e764b4bb949057ea9f3b
BRS_DETR=blisgard/BucketedRankingBasedLosses@9ba3b0e458d9ece08ab41e874333d761d67c4740
PY="$ORACLE_DIR/venv/bin/python"

[ -x "$PY" ] || python3 -m venv "$ORACLE_DIR/venv"
"$PY" -m pip install -q "setuptools>=77,<81" wheel packaging
"$PY" -m pip install -q torch==2.14.1 torchvision==0.29.1
"$PY" -m pip install -q "numpy<2" "opencv-python-headless<4.11" yapf==0.40.1 addict pycocotools \
    terminaltables timm fvcore einops scipy matplotlib pillow "scikit-learn<1.6"  # PAA's GMM

if ! "$PY" -c "import mmcv.ops" 2>/dev/null; then
    build="$ORACLE_DIR/build"
    mkdir -p "$build"
    "$PY" -m pip download -q --no-deps --no-binary :all: mmcv-full==1.7.2 -d "$build"
    rm -rf "$build/mmcv-full-1.7.2"
    tar -xzf "$build/mmcv-full-1.7.2.tar.gz" -C "$build"
    "$PY" "$REPO/tools/oracle/trim_mmcv.py" "$build/mmcv-full-1.7.2"
    MMCV_WITH_OPS=1 MAX_JOBS=2 "$PY" -m pip wheel -q --no-deps --no-build-isolation \
        -w "$build/wheels" "$build/mmcv-full-1.7.2"
    "$PY" -m pip install -q --no-deps "$build"/wheels/mmcv_full-1.7.2-*.whl
fi

for spec in "$CO_DETR" "$BRS_DETR"; do
    repo=${spec%@*}; commit=${spec#*@}; dest="$ORACLE_DIR/src/${repo/\//+}"
    if [ ! -f "$dest/OFFICIAL_COMMIT" ]; then
        rm -rf "$dest"
        git clone -q "https://github.com/$repo.git" "$dest"
        git -C "$dest" checkout -q "$commit"
        # mmdet 2.25.3 as bundled caps mmcv at 1.7.0; 1.7.2 is the one that builds on torch 2.14.
        sed -i "s/mmcv_maximum_version = '1.7.0'/mmcv_maximum_version = '1.7.2'/" \
            "$dest/mmdet/__init__.py"
        echo "$commit" > "$dest/OFFICIAL_COMMIT"
    fi
done

# fairscale is imported by the bundled mmdet but only used for activation checkpointing (off).
stub="$ORACLE_DIR/stubs/fairscale/nn"
mkdir -p "$stub"
: > "$ORACLE_DIR/stubs/fairscale/__init__.py"
: > "$stub/__init__.py"
cat > "$stub/checkpoint.py" <<'PY'
def checkpoint_wrapper(module, *args, **kwargs):
    raise RuntimeError('fairscale stub: with_cp is not available in the oracle env')
PY
echo "oracle env ready in $ORACLE_DIR"
