"""tools/setup_env.sh's mmcv wheel cache: keyed on mmcv, torch, Python and CUDA (toolkit + GPU
architectures), so a CPU wheel is rebuilt when CUDA appears or torch changes. Simulated with the
script's override variables and --dry-run: nothing is installed or built."""
import os
import subprocess

import pytest

from tool_helpers import REPO_ROOT

SCRIPT = REPO_ROOT / "tools" / "setup_env.sh"


def dry_run(cache, *args, **overrides):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BRS_") and k != "TORCH_CUDA_ARCH_LIST"}
    env.update(BRS_CACHE=str(cache), BRS_TORCH_VERSION="2.14.1", BRS_CUDA_VERSION="none",
               BRS_GPU_ARCHS="")
    env.update(overrides)
    out = subprocess.run(["bash", str(SCRIPT), "--dry-run", *args], env=env, text=True,
                         capture_output=True, check=True).stdout
    lines = dict(line[len("[setup] "):].split(": ", 1) for line in out.splitlines()
                 if line.startswith("[setup] ") and ": " in line)
    return lines["mmcv wheel key"], lines["decision"]


def cache_wheel(cache, key):
    folder = cache / "wheels" / key
    folder.mkdir(parents=True)
    wheel = folder / "mmcv-2.1.0-cp311-cp311-linux_x86_64.whl"
    wheel.write_bytes(b"not a real wheel")
    return wheel


def test_cpu_wheel_is_reused_only_on_the_same_cpu_set_up(tmp_path):
    key, decision = dry_run(tmp_path)
    assert key.startswith("mmcv-2.1.0_torch-2.14.1_py") and key.endswith("_cpu")
    assert decision.startswith("build (CPU ops only: no GPU visible")
    wheel = cache_wheel(tmp_path, key)
    assert dry_run(tmp_path) == (key, f"reuse {wheel}")


def test_cpu_wheel_is_rebuilt_when_cuda_appears(tmp_path):
    cpu_key, _ = dry_run(tmp_path)
    cache_wheel(tmp_path, cpu_key)
    key, decision = dry_run(tmp_path, BRS_CUDA_VERSION="12.4", BRS_GPU_ARCHS="8.0 9.0")
    assert key != cpu_key and key.endswith("_cuda-12.4-sm80+90")
    assert decision == ("build (CUDA ops for TORCH_CUDA_ARCH_LIST=8.0;9.0 with the CUDA 12.4 "
                        "toolkit)")
    # The user's architecture list wins over the visible GPUs' and is part of the key.
    key, decision = dry_run(tmp_path, BRS_CUDA_VERSION="12.4", BRS_GPU_ARCHS="8.0",
                            TORCH_CUDA_ARCH_LIST="8.6;9.0")
    assert key.endswith("_cuda-12.4-sm86+90") and "TORCH_CUDA_ARCH_LIST=8.6;9.0" in decision


def test_a_gpu_without_toolkit_builds_for_the_cpu(tmp_path):
    key, decision = dry_run(tmp_path, BRS_GPU_ARCHS="9.0")
    assert key.endswith("_cpu") and "no CUDA toolkit" in decision


@pytest.mark.parametrize("torch_version", ["2.15.0", "2.14.1+cu128"])
def test_wheel_is_rebuilt_when_torch_changes(tmp_path, torch_version):
    cache_wheel(tmp_path, dry_run(tmp_path)[0])
    key, decision = dry_run(tmp_path, BRS_TORCH_VERSION=torch_version)
    assert f"_torch-{torch_version}_" in key and decision.startswith("build")


def test_bad_arguments_fail_before_installing(tmp_path):
    env = dict(os.environ, BRS_CACHE=str(tmp_path), BRS_TORCH_VERSION="2.14.1",
               BRS_CUDA_VERSION="none", BRS_GPU_ARCHS="", BRS_VENV=str(tmp_path / "venv"))
    # An unknown option and a missing folder fail with one clear line, before anything is installed.
    bad = subprocess.run(["bash", str(SCRIPT), "--offline", str(tmp_path / "missing")], env=env,
                         text=True, capture_output=True)
    assert bad.returncode != 0 and "--offline: no folder" in bad.stderr
    assert not (tmp_path / "venv").exists()
    bad = subprocess.run(["bash", str(SCRIPT), "--frobnicate"], env=env, text=True,
                         capture_output=True)
    assert bad.returncode != 0 and "unknown argument '--frobnicate'" in bad.stderr
