"""Multi-process training is real DDP: 2 CPU processes (gloo) started by tools/dist_train.sh both
step; the query head's averaging factors (sync_cls_avg_factor, reduce_mean) are the mean over both
ranks; the ranks end with identical weights although each saw different images; and
--auto-scale-lr doubles the lr for the doubled total batch."""
import json
import sys

import pytest
from mmengine.config import Config
from tool_helpers import DETERMINISTIC, free_port, run, tool_env

PROBE = '''
"""Records, per rank, every reduce_mean of the query head and the trained weights' checksum."""
import json
import os

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

import projects.models.co_deformable_detr_head as head

CALLS = []
_reduce_mean = head.reduce_mean


def recording_reduce_mean(tensor):
    out = _reduce_mean(tensor)
    CALLS.append((tensor.flatten().tolist(), out.flatten().tolist()))
    return out


head.reduce_mean = recording_reduce_mean


@HOOKS.register_module()
class SyncProbeHook(Hook):
    def __init__(self):
        self.iters = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.iters.append(runner.iter + 1)

    def after_run(self, runner):
        model = getattr(runner.model, "module", runner.model)
        checksum = float(sum(p.detach().double().sum() for p in model.parameters()))
        record = dict(world_size=dist.get_world_size(), wrapper=type(runner.model).__name__,
                      iters=self.iters, calls=CALLS, checksum=checksum,
                      lr=max(runner.optim_wrapper.get_lr()["lr"]))
        path = os.path.join(os.environ["SYNC_PROBE_DIR"], f"rank{dist.get_rank()}.json")
        with open(path, "w") as f:
            json.dump(record, f)
'''


def test_two_cpu_processes_train_with_synced_avg_factors(tiny_config, tmp_path):
    base = Config.fromfile(str(tiny_config))
    (tmp_path / "sync_probe.py").write_text(PROBE)
    config = tmp_path / "probed.py"
    config.write_text(
        f"_base_ = [{str(tiny_config)!r}]\n"
        f"custom_imports = dict(imports={[*base.custom_imports.imports, 'sync_probe']!r}, "
        "allow_failed_imports=False)\n"
        f"custom_hooks = {[*base.get('custom_hooks', []), dict(type='SyncProbeHook')]!r}\n")
    env = tool_env(pythonpath=[str(tmp_path)], SYNC_PROBE_DIR=str(tmp_path), PYTHON=sys.executable,
                   PORT=str(free_port()))
    run("bash", "tools/dist_train.sh", config, 2, "--work-dir", tmp_path / "work", "--auto-scale-lr",
        "--cfg-options", *DETERMINISTIC, "train_cfg.max_epochs=2", env=env)

    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for rank in ranks:
        assert rank["world_size"] == 2 and rank["wrapper"] == "MMDistributedDataParallel"
        assert rank["iters"] == [1, 2]  # 3 images over 2 ranks x 2 per batch: 1 iteration an epoch
    calls0, calls1 = ranks[0]["calls"], ranks[1]["calls"]
    assert len(calls0) == len(calls1) > 0
    differing = 0
    for (in0, out0), (in1, out1) in zip(calls0, calls1):
        assert out0 == out1  # every rank divides by the same factor ...
        assert out0 == pytest.approx([(a + b) / 2 for a, b in zip(in0, in1)])  # ... their mean
        differing += in0 != in1
    assert differing > 0  # the ranks had different images, hence different local factors
    assert ranks[0]["checksum"] == ranks[1]["checksum"]  # gradients were all-reduced
    # --auto-scale-lr: total batch 2 ranks x 2 images against the config's base_batch_size
    scaled = base.optim_wrapper.optimizer.lr * 2 * base.train_dataloader.batch_size / \
        base.auto_scale_lr.base_batch_size
    assert ranks[0]["lr"] == pytest.approx(scaled)
