#!/usr/bin/env bash
# Install the BRS-DETR stack into a virtual environment (default: ./.venv).
#   torch 2.14.1 + torchvision 0.29.1, mmengine 0.10.7, mmcv 2.1.0 (full, with ops), mmdet 3.3.0,
#   timm, scipy, pycocotools, faster-coco-eval, and this package (editable) with its test extras.
# mmcv ships only as source; it is built once (about 10 min on 2 cores) with the C++20 flag that
# current torch headers need, and the wheel is cached in $BRS_CACHE (default ~/.cache/brs-detr).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BRS_VENV:-$ROOT/.venv}"
CACHE="${BRS_CACHE:-$HOME/.cache/brs-detr}"
PY="${PYTHON:-python3}"
MMCV_VERSION=2.1.0

log() { printf '[setup] %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment $VENV"
    "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q "setuptools>=77,<81" wheel ninja
log "installing torch"
"${PIP[@]}" install -q torch==2.14.1 torchvision==0.29.1

mkdir -p "$CACHE/wheels"
wheel=$(ls "$CACHE"/wheels/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    log "building mmcv $MMCV_VERSION with ops (once; cached in $CACHE/wheels)"
    src="$CACHE/src"
    rm -rf "$src" && mkdir -p "$src"
    "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: "mmcv==$MMCV_VERSION" -d "$src"
    tar -xzf "$src"/mmcv-"$MMCV_VERSION".tar.gz -C "$src"
    # torch >= 2.x headers need C++20; mmcv's setup.py hard-codes c++14/17.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$src/mmcv-$MMCV_VERSION/setup.py"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" wheel -q --no-deps --no-build-isolation "$src/mmcv-$MMCV_VERSION" -w "$CACHE/wheels.tmp"
    mv "$CACHE"/wheels.tmp/mmcv-*.whl "$CACHE/wheels/" && rm -rf "$CACHE/wheels.tmp" "$src"
    wheel=$(ls "$CACHE"/wheels/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)
fi
log "installing $wheel"
"${PIP[@]}" install -q "$wheel"
log "installing mmengine, mmdet and brs_detr"
"${PIP[@]}" install -q -e "$ROOT[dev]"
"$VENV/bin/python" -c "import mmcv.ops, mmdet, brs_detr; print('[setup] ok: mmcv', mmcv.__version__, 'mmdet', mmdet.__version__)"
