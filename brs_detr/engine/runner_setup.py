"""Config handling shared by tools/train.py and tools/test.py, on top of mmengine's Runner.

Besides mmdet's usual command-line overrides this makes three things work that mmengine 0.10.7
does not do by itself: multi-process (DDP) runs on CPU with the gloo backend, resuming on
torch >= 2.6 with safe loading left on, and a resumed run replaying the same random streams.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from brs_detr import evaluation  # noqa: F401  (registers CocoAPMetric for configs)
from brs_detr.io.safe_load import use_safe_checkpoint_loading

from . import rng_state_hook  # noqa: F401  (registers RNGStateHook)


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every runner tool shares: config overrides and the distributed launcher."""
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE",
                        help="override config entries, e.g. train_cfg.max_epochs=1")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0)


def load_config(path: str, cfg_options: dict | None = None, work_dir: str | None = None,
                launcher: str = "none") -> Config:
    """Read a config, apply ``--cfg-options`` and ``--work-dir`` (default ``work_dirs/<config>``)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f"config file {path} does not exist")
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
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


def enable_amp(cfg: Config) -> None:
    cfg.optim_wrapper.type = "AmpOptimWrapper"
    cfg.optim_wrapper.loss_scale = "dynamic"


def enable_auto_scale_lr(cfg: Config) -> None:
    """Scale the lr by (GPUs x batch per GPU) / ``auto_scale_lr.base_batch_size`` (e.g. 8 x 2 = 16)."""
    if "base_batch_size" not in cfg.get("auto_scale_lr", {}):
        raise KeyError("--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` in the "
                       f"config {cfg.filename}")
    cfg.auto_scale_lr.enable = True


def set_resume(cfg: Config, resume: str | None) -> None:
    """``auto``: latest checkpoint of the work dir; a path: that checkpoint; None: no resume."""
    if resume == "auto":
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f"--resume: checkpoint {resume} does not exist")
        cfg.resume, cfg.load_from = True, resume


def add_rng_state_hook(cfg: Config) -> None:
    hooks = list(cfg.get("custom_hooks") or [])
    if not any(h.get("type") == "RNGStateHook" for h in hooks):
        cfg.custom_hooks = [*hooks, dict(type="RNGStateHook")]


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
    setup_cpu_distributed(cfg)
    return Runner.from_cfg(cfg) if "runner_type" not in cfg else RUNNERS.build(cfg)


def set_local_rank_env(local_rank: int) -> None:
    """``torch.distributed.launch`` passes ``--local-rank``; torchrun sets ``LOCAL_RANK`` itself."""
    os.environ.setdefault("LOCAL_RANK", str(local_rank))
