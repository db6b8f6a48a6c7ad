"""Runs that fail say why in one line: a NaN loss stops training naming the iteration and the key
with the previous checkpoint intact; a --cfg-options typo is refused naming the closest key;
--resume with nothing to resume from is an error unless asked; a truncated latest checkpoint is
skipped for the previous good one; --amp without a GPU is refused before anything is built."""
import importlib.util
import shutil

import pytest
import torch
from mmengine.config import Config
from tool_helpers import DETERMINISTIC, REPO_ROOT, run_tool, tool_env

from brs_detr.engine import latest_good_checkpoint, load_config, set_resume
from brs_detr.engine.cfg_options import UnknownConfigKeyError
from brs_detr.io.safe_load import load_checkpoint_safely

NAN_MODEL = '''
import torch
from mmdet.registry import MODELS
from projects.models import CoDETR


@MODELS.register_module()
class NaNAtCallCoDETR(CoDETR):
    """CoDETR whose loss `key` becomes NaN at the `at`-th training step (1-based)."""

    def __init__(self, *args, nan_at, nan_key, **kwargs):
        super().__init__(*args, **kwargs)
        self.nan_at, self.nan_key, self.calls = nan_at, nan_key, 0

    def loss(self, *args, **kwargs):
        losses = super().loss(*args, **kwargs)
        self.calls += 1
        if self.calls == self.nan_at:
            losses[self.nan_key] = losses[self.nan_key] * float("nan")
        return losses
'''


def _train_module():
    spec = importlib.util.spec_from_file_location("train", REPO_ROOT / "tools" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nan_loss_stops_naming_iteration_and_key_and_keeps_the_checkpoint(brs_tiny_config, tmp_path):
    (tmp_path / "nan_model.py").write_text(NAN_MODEL)
    imports = [*Config.fromfile(str(brs_tiny_config)).custom_imports.imports, "nan_model"]
    config = tmp_path / "nan.py"
    config.write_text(f"_base_ = [{str(brs_tiny_config)!r}]\n"
                      f"custom_imports = dict(imports={imports!r}, allow_failed_imports=False)\n"
                      "model = dict(type='NaNAtCallCoDETR', nan_at=3, nan_key='loss_bbox0')\n")
    work = tmp_path / "work"
    proc = run_tool("tools/train.py", config, "--work-dir", work, "--cfg-options", *DETERMINISTIC,
                    "train_cfg.max_epochs=3", "default_hooks.checkpoint.interval=1",
                    env=tool_env(pythonpath=[str(tmp_path)]), check=False)
    # 2 iterations per epoch: the 3rd is the first of epoch 2
    last_line = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1
    assert last_line.startswith("error: NonFiniteLossError: loss_bbox0 became nan at iteration 3 "
                                "(epoch 2); training stopped, the last checkpoint"), last_line
    assert "Traceback" not in proc.stderr
    assert not (work / "epoch_2.pth").exists()
    good = load_checkpoint_safely(work / "epoch_1.pth")
    assert good["meta"]["iter"] == 2
    assert all(torch.isfinite(v).all() for v in good["state_dict"].values() if v.is_floating_point())


def test_cfg_options_key_matching_nothing_is_refused_naming_the_closest(brs_tiny_config):
    with pytest.raises(UnknownConfigKeyError, match=r"--cfg-options trian_cfg\.max_epochs: the config "
                                                    r"has no key 'trian_cfg'; closest key: train_cfg"):
        load_config(str(brs_tiny_config), {"trian_cfg.max_epochs": 1})
    with pytest.raises(UnknownConfigKeyError, match="closest key: train_cfg.max_epochs"):
        load_config(str(brs_tiny_config), {"train_cfg.max_epoch": 1})
    with pytest.raises(UnknownConfigKeyError, match=r"model\.roi_head is a list of 1 items"):
        load_config(str(brs_tiny_config), {"model.roi_head.3.bbox_head.num_classes": 1})
    # keys that exist, Runner arguments and new options of an existing dict are fine
    cfg = load_config(str(brs_tiny_config), {"train_cfg.max_epochs": 1, "randomness.seed": 0,
                                             "model.test_cfg.0.score_thr": 0.5})
    assert cfg.train_cfg.max_epochs == 1 and cfg.model.test_cfg[0].score_thr == 0.5


def test_resume_with_nothing_to_resume_from_is_an_error_unless_asked(brs_tiny_config, tmp_path):
    cfg = load_config(str(brs_tiny_config), work_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        set_resume(cfg, "auto")
    set_resume(cfg, "auto", start_if_none=True)
    assert not cfg.resume and cfg.load_from is None


def test_truncated_latest_checkpoint_falls_back_to_the_previous(tiny_checkpoint, tmp_path, capsys):
    shutil.copy(tiny_checkpoint, tmp_path / "epoch_1.pth")
    data = tiny_checkpoint.read_bytes()
    (tmp_path / "epoch_2.pth").write_bytes(data[:len(data) // 2])  # the crash hit while saving
    (tmp_path / "last_checkpoint").write_text(str(tmp_path / "epoch_2.pth"))
    assert latest_good_checkpoint(str(tmp_path)) == str(tmp_path / "epoch_1.pth")
    assert "epoch_2.pth is a truncated or corrupt checkpoint" in capsys.readouterr().out


def test_amp_without_gpu_is_refused_before_anything_is_built(brs_tiny_config, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    train = _train_module()
    built = []
    monkeypatch.setattr(train, "load_config", lambda *a, **k: built.append(a))
    with pytest.raises(RuntimeError, match="--amp needs a CUDA GPU"):
        train.main([str(brs_tiny_config), "--amp", "--work-dir", str(tmp_path)])
    assert not built
