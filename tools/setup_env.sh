#!/usr/bin/env bash
# Install the BRS-DETR stack into a virtual environment (default: ./.venv), then check it
# (tools/check_env.py): torch 2.14.1 + torchvision 0.29.1, mmengine 0.10.7, mmcv 2.1.0 (full, with
# ops), mmdet 3.3.0, timm, scipy, pycocotools, faster-coco-eval, and this package (editable) with
# its test extras.
#
# mmcv ships only as source. It is built once with the C++20 flag current torch headers need, with
# its CUDA ops when a GPU and a CUDA toolkit (nvcc) are present (TORCH_CUDA_ARCH_LIST: the visible
# GPUs' architectures unless set), and the wheel is cached under
#   $BRS_CACHE/wheels/<key>/   key = mmcv-<version>_torch-<version>_py<version>_<cpu | cuda-<nvcc>-sm<archs>>
# so a CPU wheel is never reused on a GPU machine, nor a wheel built for another torch or GPU.
# The build takes about 10 min on 2 cores for the CPU, much longer with CUDA; its time is printed.
#
# Usage:
#   bash tools/setup_env.sh                        # connected machine
#   bash tools/setup_env.sh --download DIR         # connected machine: fetch every wheel + mmcv's sdist
#   bash tools/setup_env.sh --offline DIR          # machine without internet: install from DIR only
#   bash tools/setup_env.sh --dry-run              # print the wheel-cache key and decision, change nothing
# Environment: BRS_VENV (./.venv), BRS_CACHE (~/.cache/brs-detr), PYTHON (python3), MAX_JOBS,
# TORCH_CUDA_ARCH_LIST; for --dry-run (and tests) BRS_TORCH_VERSION, BRS_CUDA_VERSION ("none" or
# the toolkit's version) and BRS_GPU_ARCHS ("" or e.g. "8.0 9.0") replace what is detected.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BRS_VENV:-$ROOT/.venv}"
CACHE="${BRS_CACHE:-$HOME/.cache/brs-detr}"
PY="${PYTHON:-python3}"
MMCV_VERSION=2.1.0
TORCH_PINS=(torch==2.14.1 torchvision==0.29.1)
BUILD_TOOLS=("setuptools>=77,<81" wheel ninja)

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

MODE=install
WHEELHOUSE=""
case "${1:-}" in
    "") ;;
    --dry-run) MODE=dry-run ;;
    --download) MODE=download; WHEELHOUSE="${2:?--download needs a folder}" ;;
    --offline) MODE=offline; WHEELHOUSE="${2:?--offline needs a folder}" ;;
    *) die "unknown argument '$1' (use --dry-run, --download DIR or --offline DIR)" ;;
esac

if [ "$MODE" = download ]; then
    # Everything an offline set-up installs: build tools, torch, this package's dependencies and
    # extras, and mmcv's source with its runtime dependencies.
    mkdir -p "$WHEELHOUSE"
    "$PY" -m pip --disable-pip-version-check download -d "$WHEELHOUSE" \
        "${BUILD_TOOLS[@]}" "${TORCH_PINS[@]}" "$ROOT[dev]" "mmcv==$MMCV_VERSION" --no-binary mmcv
    log "downloaded into $WHEELHOUSE; on the offline machine: bash tools/setup_env.sh --offline $WHEELHOUSE"
    exit 0
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
if [ "$MODE" = offline ]; then
    [ -d "$WHEELHOUSE" ] || die "--offline: no folder $WHEELHOUSE"
    WHEELHOUSE="$(cd "$WHEELHOUSE" && pwd)"
    PIP+=(--no-index --find-links "$WHEELHOUSE")
fi

if [ "$MODE" != dry-run ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtual environment $VENV"
        "$PY" -m venv "$VENV"
    fi
    "${PIP[@]}" install -q "${BUILD_TOOLS[@]}"
    log "installing torch"
    "${PIP[@]}" install -q "${TORCH_PINS[@]}"
fi

# ---- what to build for: torch, Python, CUDA toolkit and visible GPUs (overridable for tests)
PROBE_PY="$VENV/bin/python"
[ -x "$PROBE_PY" ] || PROBE_PY="$PY"
probe() {  # torch version, python version, GPU architectures ("" without a GPU)
    "$PROBE_PY" - <<'EOF' 2>/dev/null || true
import os
import sys
try:
    if 'BRS_TORCH_VERSION' in os.environ and 'BRS_GPU_ARCHS' in os.environ:
        raise ImportError('both given: no need to import torch')
    import torch
    version = torch.__version__
    archs = sorted({'%d.%d' % torch.cuda.get_device_capability(i)
                    for i in range(torch.cuda.device_count())}) if torch.cuda.is_available() else []
except ImportError:
    version, archs = 'none', []
print(version)
print('%d.%d' % sys.version_info[:2])
print(' '.join(archs))
EOF
}
mapfile -t probed < <(probe)
TORCH_VERSION="${BRS_TORCH_VERSION:-${probed[0]:-none}}"
PY_VERSION="${probed[1]:-unknown}"
GPU_ARCHS="${BRS_GPU_ARCHS-${probed[2]:-}}"
if [ -n "${BRS_CUDA_VERSION:-}" ]; then
    CUDA_VERSION="$BRS_CUDA_VERSION"
else
    NVCC="$(command -v nvcc || true)"
    [ -z "$NVCC" ] && [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ] && NVCC="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
    CUDA_VERSION=none
    [ -n "$NVCC" ] && CUDA_VERSION="$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
fi

if [ "$CUDA_VERSION" != none ] && [ -n "$GPU_ARCHS" ]; then
    ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-$(echo "$GPU_ARCHS" | tr ' ' ';')}"
    FLAVOUR="cuda-$CUDA_VERSION-sm$(echo "$ARCH_LIST" | tr -d '.' | tr ';' '+' | tr -d ' ')"
    WHY="CUDA ops for TORCH_CUDA_ARCH_LIST=$ARCH_LIST with the CUDA $CUDA_VERSION toolkit"
else
    ARCH_LIST=""
    FLAVOUR=cpu
    if [ -n "$GPU_ARCHS" ]; then
        WHY="CPU ops only: a GPU is visible but no CUDA toolkit (nvcc) was found; set CUDA_HOME"
    else
        WHY="CPU ops only: no GPU visible"
    fi
fi
KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_VERSION}_py${PY_VERSION}_${FLAVOUR}"
KEYED="$CACHE/wheels/$KEY"
wheel=$(ls "$KEYED"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
log "mmcv wheel key: $KEY"
if [ -n "$wheel" ]; then
    log "decision: reuse $wheel"
else
    log "decision: build ($WHY)"
fi
if [ "$MODE" = offline ]; then
    log "offline: installing from $WHEELHOUSE"
fi
[ "$MODE" = dry-run ] && exit 0

if [ -z "$wheel" ]; then
    src="$CACHE/src/$KEY"
    rm -rf "$src" && mkdir -p "$src"
    if [ "$MODE" = offline ]; then
        sdist="$WHEELHOUSE/mmcv-$MMCV_VERSION.tar.gz"
        [ -f "$sdist" ] || die "--offline: $sdist not found (make the folder with --download)"
        cp "$sdist" "$src/"
    else
        "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: \
            "mmcv==$MMCV_VERSION" -d "$src"
    fi
    tar -xzf "$src/mmcv-$MMCV_VERSION.tar.gz" -C "$src"
    # torch >= 2.x headers need C++20; mmcv's setup.py hard-codes c++14/17.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$src/mmcv-$MMCV_VERSION/setup.py"
    build_env=(MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}")
    if [ "$FLAVOUR" = cpu ]; then
        build_env+=(FORCE_CUDA=0 CUDA_VISIBLE_DEVICES=)  # mmcv builds CUDA ops whenever it sees a GPU
    else
        build_env+=(FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$ARCH_LIST")
        [ -n "${NVCC:-}" ] && build_env+=(CUDA_HOME="$(dirname "$(dirname "$NVCC")")")
    fi
    log "building mmcv $MMCV_VERSION: $WHY (once; cached in $KEYED)"
    start=$SECONDS
    env "${build_env[@]}" "${PIP[@]}" wheel -q --no-deps --no-build-isolation \
        "$src/mmcv-$MMCV_VERSION" -w "$src/dist"
    log "built mmcv in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
    mkdir -p "$KEYED"
    mv "$src"/dist/mmcv-*.whl "$KEYED/" && rm -rf "$src"
    wheel=$(ls "$KEYED"/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)
fi
log "installing $wheel"
"${PIP[@]}" install -q "$wheel"
log "installing mmengine, mmdet and brs_detr"
"${PIP[@]}" install -q -e "$ROOT[dev]"
"$VENV/bin/python" "$ROOT/tools/check_env.py"
