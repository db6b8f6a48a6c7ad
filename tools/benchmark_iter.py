"""Time training iterations of Co-DETR (Focal), BRS-DETR and RS-DETR on the same batch.

One iteration = data preprocessing + forward + backward + optimiser step (``model.train_step``).
Prints the median time per iteration after warm-up and the ratios BRS-DETR / Co-DETR and
RS-DETR / BRS-DETR (the thesis reports RS -> BRS as 4.14 s -> 0.69 s on Co-DETR R50, Sec. 4).
RS-DETR is the BRS-DETR config with every ranking loss unbucketed (``bucketed=False``), unless
``--rs-config`` names another.

    python tools/benchmark_iter.py                       # tiny configs on CPU
    python tools/benchmark_iter.py --device cuda \\
        --co-detr-config configs/co_detr/co_deformable_detr_r50_8xb2-12e_coco.py \\
        --brs-config configs/brs_detr/brs_detr_r50_8xb2-12e_coco.py
"""
import argparse
import copy
import os
import statistics
import time
from pathlib import Path

import torch
from mmengine.config import Config, DictAction

REPO_ROOT = Path(__file__).resolve().parents[1]
CO_DETR_TINY = 'configs/co_detr/co_deformable_detr_tiny_1xb2-demo.py'
BRS_DETR_TINY = 'configs/brs_detr/brs_detr_tiny_1xb2-demo.py'
RANKING_LOSSES = ('RankSortLoss', 'APLoss')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--co-detr-config', default=CO_DETR_TINY)
    parser.add_argument('--brs-config', default=BRS_DETR_TINY)
    parser.add_argument('--rs-config', default=None,
                        help='default: the BRS-DETR config with bucketed=False everywhere')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides applied to all three configs, e.g. '
                        'train_dataloader.dataset.pipeline.2.scale="(640,640)"')
    return parser.parse_args()


def unbucketed(cfg_node):
    """Copy of a config (sub)tree with every ranking loss set to its unbucketed original."""
    if isinstance(cfg_node, dict):
        node = {key: unbucketed(value) for key, value in cfg_node.items()}
        if node.get('type') in RANKING_LOSSES:
            node['bucketed'] = False
        return type(cfg_node)(node)
    if isinstance(cfg_node, (list, tuple)):
        return type(cfg_node)(unbucketed(value) for value in cfg_node)
    return cfg_node


class RankingLossClock:
    """Seconds spent inside a model's ranking losses (their forward computes the gradient too)."""

    def __init__(self, model, device):
        from brs_detr.models.losses import RankingLoss
        self.modules = [m for m in model.modules() if isinstance(m, RankingLoss)]
        self.sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
        self.seconds = 0.0
        for module in self.modules:
            module.register_forward_pre_hook(self._start)
            module.register_forward_hook(self._stop)

    def _start(self, module, inputs):
        self.sync()
        self._started = time.perf_counter()

    def _stop(self, module, inputs, output):
        self.sync()
        self.seconds += time.perf_counter() - self._started


def load_config(path, options):
    cfg = Config.fromfile(str(REPO_ROOT / path) if not Path(path).is_absolute() else path)
    cfg.merge_from_dict(options)
    data_root = Path(cfg.train_dataloader.dataset.get('data_root', ''))
    if data_root.name == 'demo_coco' and not (data_root / 'annotations.json').exists():
        from brs_detr.data.demo_dataset import prepare_demo_dataset
        prepare_demo_dataset(data_root)
    return cfg


def first_batch(cfg):
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    return next(iter(loader))


def build_trainer(cfg, device):
    """The model and its optimiser wrapper as the config builds them, initialised from seed 0."""
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(device).train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def timed_step(model, optim_wrapper, batch, device):
    """Seconds of one training iteration on a fresh copy of ``batch``."""
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    data = copy.deepcopy(batch)
    sync()
    start = time.perf_counter()
    log_vars = model.train_step(data, optim_wrapper)
    sync()
    seconds = time.perf_counter() - start
    if not torch.isfinite(torch.as_tensor(log_vars['loss'])):
        raise FloatingPointError(f'non-finite loss: {log_vars}')
    return seconds


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.chdir(REPO_ROOT)  # configs name their data relative to the repository root
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    MMLogger.get_instance('benchmark_iter', log_level='ERROR')  # quiet model building
    init_default_scope('mmdet')

    co_cfg = load_config(args.co_detr_config, args.cfg_options)
    brs_cfg = load_config(args.brs_config, args.cfg_options)
    if args.rs_config:
        rs_cfg = load_config(args.rs_config, args.cfg_options)
    else:
        rs_cfg = copy.deepcopy(brs_cfg)
        rs_cfg.model = unbucketed(brs_cfg.model)
    batch = first_batch(co_cfg)
    num_boxes = [len(sample.gt_instances) for sample in batch['data_samples']]
    print(f'batch: {len(num_boxes)} images, shape {tuple(batch["inputs"][0].shape)}, '
          f'gt boxes {num_boxes}; device {args.device}, {torch.get_num_threads()} threads, '
          f'median of {args.iters} iterations after {args.warmup} warm-up')

    trainers = {name: build_trainer(cfg, args.device)
                for name, cfg in (('Co-DETR', co_cfg), ('BRS-DETR', brs_cfg), ('RS-DETR', rs_cfg))}
    clocks = {name: RankingLossClock(model, args.device) for name, (model, _) in trainers.items()}
    # Round-robin over the models, so that a change of machine load hits all three alike.
    times = {name: [] for name in trainers}
    loss_times = {name: [] for name in trainers}
    for step in range(args.warmup + args.iters):
        for name, (model, optim_wrapper) in trainers.items():
            clocks[name].seconds = 0.0
            seconds = timed_step(model, optim_wrapper, batch, args.device)
            if step >= args.warmup:
                times[name].append(seconds)
                loss_times[name].append(clocks[name].seconds)
    medians = {name: statistics.median(values) for name, values in times.items()}
    loss_medians = {name: statistics.median(values) for name, values in loss_times.items()}
    print(f'{"":9s} {"iteration":>10s} {"in ranking losses":>18s}')
    for name in trainers:
        print(f'{name:9s} {medians[name]:8.3f} s {loss_medians[name]:16.4f} s'
              f'   ({len(clocks[name].modules)} ranking loss modules)')
    print(f'BRS-DETR / Co-DETR  = {medians["BRS-DETR"] / medians["Co-DETR"]:.2f}x  '
          '(target <= 1.10x)')
    print(f'RS-DETR / BRS-DETR  = {medians["RS-DETR"] / medians["BRS-DETR"]:.2f}x  '
          '(target >= 3x on the tiny CPU config; thesis 6.0x on GPU, R50)')
    print(f'ranking losses alone: RS / BRS = '
          f'{loss_medians["RS-DETR"] / max(loss_medians["BRS-DETR"], 1e-9):.2f}x')


if __name__ == '__main__':
    main()
