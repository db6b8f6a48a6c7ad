"""Command-line options of tools/train.py and test.py, as they land in the config."""
import pytest
import torch

from brs_detr.engine import (add_rng_state_hook, enable_amp, enable_auto_scale_lr, enable_tensorboard,
                             load_config, set_resume)


@pytest.fixture
def cfg(brs_tiny_config):
    return load_config(str(brs_tiny_config), {"train_cfg.max_epochs": 2})


def test_overrides_and_default_work_dir(cfg, brs_tiny_config):
    assert cfg.train_cfg.max_epochs == 2
    assert cfg.work_dir == f"./work_dirs/{brs_tiny_config.stem}"
    assert load_config(str(brs_tiny_config), work_dir="/tmp/w").work_dir == "/tmp/w"
    with pytest.raises(FileNotFoundError, match="nope.py"):
        load_config("configs/nope.py")


def test_amp_tensorboard_and_rng_hook_are_added_once(cfg, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # --amp needs CUDA
    enable_amp(cfg)
    assert (cfg.optim_wrapper.type, cfg.optim_wrapper.loss_scale) == ("AmpOptimWrapper", "dynamic")
    enable_tensorboard(cfg)
    enable_tensorboard(cfg)
    backends = [b["type"] for b in cfg.visualizer.vis_backends]
    assert backends.count("TensorboardVisBackend") == 1 and "LocalVisBackend" in backends
    add_rng_state_hook(cfg)
    add_rng_state_hook(cfg)
    assert [h["type"] for h in cfg.custom_hooks].count("RNGStateHook") == 1


def test_auto_scale_lr_needs_a_base_batch_size(cfg):
    enable_auto_scale_lr(cfg)
    assert cfg.auto_scale_lr.enable is True
    cfg.auto_scale_lr = dict(enable=False)
    with pytest.raises(KeyError, match="base_batch_size"):
        enable_auto_scale_lr(cfg)


def test_resume_modes(cfg, tmp_path):
    cfg.work_dir = str(tmp_path)
    ckpt = tmp_path / "epoch_1.pth"
    torch.save(dict(state_dict=dict(w=torch.zeros(1))), ckpt)
    set_resume(cfg, "auto")  # the work dir's latest checkpoint
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    cfg.resume, cfg.load_from = False, None
    set_resume(cfg, str(ckpt))
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        set_resume(cfg, str(tmp_path / "missing.pth"))
