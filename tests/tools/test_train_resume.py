"""Resume after a crash loses nothing: a run killed mid-epoch and resumed from its last checkpoint
ends with exactly the weights, optimiser, lr-scheduler and iteration counter of an uninterrupted run,
with torch's safe loading left on (no TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD). Without the RNGStateHook
that tools/train.py adds, the resumed run's optimiser state already differs (checked by hand)."""
import torch
from mmengine.config import Config
from tool_helpers import DETERMINISTIC, run_tool, tool_env

from brs_detr.io.safe_load import load_checkpoint_safely

# 3 epochs of 2 iterations (3 images, batch 2); the lr drops after epoch 2 so the scheduler state
# matters; a checkpoint after every epoch.
SCHEDULE = ["train_cfg.max_epochs=3", "param_scheduler.0.milestones=[2]",
            "default_hooks.checkpoint.interval=1", "default_hooks.checkpoint.max_keep_ckpts=5"]
CRASH_AT_ITER = 3  # the first iteration of epoch 2: after epoch_1.pth, before epoch_2.pth

CRASH_HOOK = '''
import os
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class CrashAtIterHook(Hook):
    """Kills the process (no clean-up, like a node failure) after iteration `iteration`."""

    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iteration:
            os._exit(3)
'''


def _crashing_config(config, tmp_path):
    """The tiny config plus the crash hook (imports and hooks restated: lists replace their base)."""
    base = Config.fromfile(str(config))
    imports = [*base.get("custom_imports", {}).get("imports", []), "crash_hook"]
    hooks = [*base.get("custom_hooks", []), dict(type="CrashAtIterHook", iteration=CRASH_AT_ITER)]
    (tmp_path / "crash_hook.py").write_text(CRASH_HOOK)
    path = tmp_path / "crashing.py"
    path.write_text(f"_base_ = [{str(config)!r}]\n"
                    f"custom_imports = dict(imports={imports!r}, allow_failed_imports=False)\n"
                    f"custom_hooks = {hooks!r}\n")
    return path


def _assert_same(a, b, where):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys differ"
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_killed_run_resumes_to_the_uninterrupted_result(brs_tiny_config, tmp_path):
    config = brs_tiny_config
    env = tool_env(pythonpath=[str(tmp_path)])
    env.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    opts = ["--cfg-options", *DETERMINISTIC, *SCHEDULE]

    straight = tmp_path / "straight"
    proc = run_tool("tools/train.py", config, "--work-dir", straight, "--tensorboard", *opts, env=env)
    assert "eta: " in proc.stdout + proc.stderr  # mmengine's iteration/ETA log lines
    assert f"last checkpoint {straight / 'epoch_3.pth'}" in proc.stdout
    assert list(straight.glob("*/vis_data/events.out.tfevents.*"))  # TensorBoard scalars

    crashed = tmp_path / "crashed"
    proc = run_tool("tools/train.py", _crashing_config(config, tmp_path), "--work-dir", crashed,
                    *opts, env=env, check=False)
    assert proc.returncode == 3, proc.stderr[-4000:]
    assert (crashed / "epoch_1.pth").is_file() and not (crashed / "epoch_2.pth").exists()

    proc = run_tool("tools/train.py", config, "--work-dir", crashed, "--resume", *opts, env=env)
    assert "resumed epoch: 1, iter: 2" in proc.stdout + proc.stderr

    final_a = load_checkpoint_safely(straight / "epoch_3.pth")
    final_b = load_checkpoint_safely(crashed / "epoch_3.pth")
    assert (final_b["meta"]["epoch"], final_b["meta"]["iter"]) == (3, 6)
    _assert_same(final_a["meta"]["iter"], final_b["meta"]["iter"], "iter")
    _assert_same(final_a["param_schedulers"], final_b["param_schedulers"], "param_schedulers")
    cfg = Config.fromfile(str(config))
    lr, gamma = cfg.optim_wrapper.optimizer.lr, cfg.param_scheduler[0].gamma
    lrs = {round(g["lr"], 12) for g in final_b["optimizer"]["param_groups"]}
    assert lrs == {round(lr * gamma, 12), round(lr * gamma * 0.1, 12)}  # decayed once; backbone x0.1
    _assert_same(final_a["optimizer"], final_b["optimizer"], "optimizer")
    _assert_same(final_a["state_dict"], final_b["state_dict"], "state_dict")
    first = load_checkpoint_safely(straight / "epoch_1.pth")["state_dict"]
    assert any(not torch.equal(first[k], final_a["state_dict"][k]) for k in first)  # it did train
