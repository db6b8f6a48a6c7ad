"""tools/slurm_train.sh and slurm_test.sh hand srun one task per GPU running our tools with the slurm
launcher; checked with a stand-in `srun` on PATH that records its command line."""
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_with_fake_srun(tmp_path, script, *args, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$SRUN_LOG"\n')
    srun.chmod(0o755)
    log = tmp_path / "srun.log"
    environ = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", SRUN_LOG=str(log), **env)
    subprocess.run(["bash", str(REPO / "tools" / script), *args], check=True, env=environ)
    return log.read_text().splitlines()


def test_slurm_train_runs_train_py_on_every_task(tmp_path):
    argv = run_with_fake_srun(tmp_path, "slurm_train.sh", "gpu", "brs_r50", "cfg.py", "work", "--amp",
                              GPUS="16", PYTHON="py")
    assert argv[:2] == ["-p", "gpu"] and "--job-name=brs_r50" in argv
    assert "--ntasks=16" in argv and "--ntasks-per-node=8" in argv and "--gres=gpu:8" in argv
    tool = argv.index("py")
    assert argv[tool:] == ["py", "-u", str(REPO / "tools" / "train.py"), "cfg.py", "--work-dir=work",
                           "--amp", "--launcher", "slurm"]


def test_slurm_test_runs_test_py_with_the_checkpoint(tmp_path):
    argv = run_with_fake_srun(tmp_path, "slurm_test.sh", "gpu", "eval", "cfg.py", "model.pth",
                              "--coco-backend", "faster-coco-eval", PYTHON="py")
    assert "--ntasks=8" in argv
    tool = argv.index("py")
    assert argv[tool:] == ["py", "-u", str(REPO / "tools" / "test.py"), "cfg.py", "model.pth",
                           "--coco-backend", "faster-coco-eval", "--launcher", "slurm"]
