"""Config handling shared by the tools (train, test, infer, export, analyze), on top of mmengine's Runner.

Besides mmdet's usual command-line overrides this makes things work that mmengine 0.10.7 does not
do by itself: multi-process (DDP) runs on CPU with the gloo backend, resuming on torch >= 2.6 with
safe loading left on (and from the previous checkpoint when the latest is truncated), a resumed run
replaying the same random streams, ``--cfg-options`` typos refused, class names given once
(``classes = (...)``) with every head and split checked against them, bad annotations reported,
a NaN/Inf loss stopping the run, and fine-tuning saying which tensors it re-initialised.
"""
from __future__ import annotations

import argparse
import glob
import os
import os.path as osp
import re

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from brs_detr import evaluation  # noqa: F401  (registers CocoAPMetric for configs)
from brs_detr.data.annotation_checks import use_checked_datasets
from brs_detr.data.class_names import apply_class_names, check_class_counts
from brs_detr.io.safe_load import CorruptCheckpointError, check_checkpoint_file, use_safe_checkpoint_loading

from . import finetune_hook, non_finite_loss_hook, rng_state_hook  # noqa: F401  (register hooks)
from .cfg_options import check_cfg_options
from .cli import DEBUG_FLAG
from .score_visualizer import use_fraction_scores


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every runner tool shares: config overrides and the distributed launcher."""
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE",
                        help="override config entries, e.g. train_cfg.max_epochs=1")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0)
    parser.add_argument(DEBUG_FLAG, action="store_true", help="show tracebacks (or BRS_DEBUG=1)")


def load_config(path: str, cfg_options: dict | None = None, work_dir: str | None = None,
                launcher: str = "none") -> Config:
    """Read a config, apply ``--cfg-options`` (keys checked) and ``--work-dir`` (default
    ``work_dirs/<config>``), spread ``classes`` and check that heads and datasets agree."""
    if not osp.isfile(path):
        raise FileNotFoundError(f"config file {path} does not exist")
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    apply_class_names(cfg)
    check_class_counts(cfg)
    use_checked_datasets(cfg)
    use_fraction_scores(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get("work_dir") is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(path))[0])
    return cfg


def enable_tensorboard(cfg: Config) -> None:
    """Also log scalars to TensorBoard (``<work_dir>/<timestamp>/vis_data``)."""
    visualizer = cfg.get("visualizer") or dict(type="DetLocalVisualizer", name="visualizer")
    backends = list(visualizer.get("vis_backends") or [dict(type="LocalVisBackend")])
    if not any(b.get("type") == "TensorboardVisBackend" for b in backends):
        backends.append(dict(type="TensorboardVisBackend"))
    visualizer["vis_backends"] = backends
    cfg.visualizer = visualizer


def check_amp_available() -> None:
    """``--amp`` is mmengine's AmpOptimWrapper (float16 autocast and a loss scaler): CUDA only."""
    if not torch.cuda.is_available():
        raise RuntimeError("--amp needs a CUDA GPU (mmengine's AmpOptimWrapper: float16 autocast "
                           "with a loss scaler) and this machine has none; train without --amp")


def enable_amp(cfg: Config) -> None:
    check_amp_available()
    cfg.optim_wrapper.type = "AmpOptimWrapper"
    cfg.optim_wrapper.loss_scale = "dynamic"


def enable_auto_scale_lr(cfg: Config) -> None:
    """Scale the lr by (GPUs x batch per GPU) / ``auto_scale_lr.base_batch_size`` (e.g. 8 x 2 = 16)."""
    if "base_batch_size" not in cfg.get("auto_scale_lr", {}):
        raise KeyError("--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` in the "
                       f"config {cfg.filename}")
    cfg.auto_scale_lr.enable = True


def set_resume(cfg: Config, resume: str | None, start_if_none: bool = False) -> None:
    """``auto``: the work dir's latest readable checkpoint (an error if there is none, unless
    ``start_if_none``); a path: that checkpoint; None: no resume."""
    if resume == "auto":
        latest = latest_good_checkpoint(cfg.work_dir)
        if latest is None:
            if not start_if_none:
                raise FileNotFoundError(f"--resume: no checkpoint to resume from in {cfg.work_dir}; "
                                        "drop --resume to start from scratch, or add "
                                        "--start-if-none to do so when there is none")
            print(f"--resume: no checkpoint in {cfg.work_dir}; starting from scratch (--start-if-none)")
            return
        cfg.resume, cfg.load_from = True, latest
    elif resume is not None:
        check_checkpoint_file(resume)
        cfg.resume, cfg.load_from = True, resume


def _checkpoint_order(path: str) -> tuple:
    numbers = re.findall(r"\d+", osp.basename(path))
    return (int(numbers[-1]) if numbers else -1, osp.getmtime(path))


def latest_good_checkpoint(work_dir: str) -> str | None:
    """The checkpoint ``last_checkpoint`` names, or, when it is truncated or corrupt, the newest
    readable ``*.pth`` of the work dir (saying so); None when there is none."""
    pointer = osp.join(work_dir, "last_checkpoint")
    named = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
    candidates = sorted(glob.glob(osp.join(work_dir, "*.pth")), key=_checkpoint_order, reverse=True)
    if named:
        candidates = [named] + [c for c in candidates if osp.abspath(c) != osp.abspath(named)]
    refused = []
    for path in candidates:
        try:
            check_checkpoint_file(path)
        except (CorruptCheckpointError, FileNotFoundError) as err:
            refused.append(str(err))
            continue
        if refused:
            print(f"--resume: skipped {len(refused)} unreadable checkpoint(s): {'; '.join(refused)}; "
                  f"resuming from {path} instead")
        return path
    return None


def add_custom_hook(cfg: Config, hook_type: str) -> None:
    hooks = list(cfg.get("custom_hooks") or [])
    if not any(h.get("type") == hook_type for h in hooks):
        cfg.custom_hooks = [*hooks, dict(type=hook_type)]


def add_rng_state_hook(cfg: Config) -> None:
    add_custom_hook(cfg, "RNGStateHook")


def add_training_hooks(cfg: Config) -> None:
    """The hooks tools/train.py adds: RNG states in checkpoints, a stop at the first non-finite
    loss, and the fine-tuning report of re-initialised tensors."""
    for hook_type in ("RNGStateHook", "NonFiniteLossHook", "FineTuneLoadHook"):
        add_custom_hook(cfg, hook_type)


def setup_cpu_distributed(cfg: Config) -> None:
    """DDP without GPUs: a gloo process group from torchrun's environment, and no device ids.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``; both fail without CUDA. With the group initialised here, the Runner
    skips its own initialisation.
    """
    if cfg.launcher == "none" or torch.cuda.is_available():
        return
    if cfg.launcher != "pytorch":
        raise RuntimeError(f"launcher {cfg.launcher!r} without GPUs: use torchrun (--launcher pytorch)")
    cfg.merge_from_dict({"env_cfg.dist_cfg.backend": "gloo"})
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    wrapper = cfg.get("model_wrapper_cfg") or dict(type="MMDistributedDataParallel")
    wrapper.setdefault("broadcast_buffers", False)
    wrapper.setdefault("find_unused_parameters", cfg.get("find_unused_parameters", False))
    wrapper["device_ids"] = None
    cfg.model_wrapper_cfg = wrapper


def build_runner(cfg: Config) -> Runner:
    """The Runner (or the config's ``runner_type``) with safe checkpoint loading switched on."""
    use_safe_checkpoint_loading()
    load_from = cfg.get("load_from")
    if load_from and "://" not in str(load_from):
        check_checkpoint_file(load_from)  # a truncated file is named before the Runner logs anything
    setup_cpu_distributed(cfg)
    return Runner.from_cfg(cfg) if "runner_type" not in cfg else RUNNERS.build(cfg)


def set_local_rank_env(local_rank: int) -> None:
    """``torch.distributed.launch`` passes ``--local-rank``; torchrun sets ``LOCAL_RANK`` itself."""
    os.environ.setdefault("LOCAL_RANK", str(local_rank))
