"""Helpers for the tool tests: run a tool in a subprocess, as a user would, from the repo root."""
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Reproducible runs without validation (mmengine validates after the last epoch whatever the
# interval; the tests evaluate with tools/test.py instead).
DETERMINISTIC = ["randomness.seed=0", "randomness.deterministic=True", "val_cfg=None",
                 "val_dataloader=None", "val_evaluator=None"]


def tool_env(**extra) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), *extra.pop("pythonpath", []),
                                                      env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run(*command, env=None, check=True, timeout=600) -> subprocess.CompletedProcess:
    """Run ``command`` from the repo root; on failure its output is shown in the assertion."""
    proc = subprocess.run(list(map(str, command)), cwd=REPO_ROOT, env=env or tool_env(),
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{command} exited with {proc.returncode}:\n" \
                                     f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return proc


def run_tool(*args, **kwargs) -> subprocess.CompletedProcess:
    """``python <args>`` (e.g. ``tools/train.py CONFIG ...``) with this interpreter."""
    return run(sys.executable, *args, **kwargs)


def free_port() -> int:
    """A free TCP port on the loopback interface (for torchrun's rendezvous)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
