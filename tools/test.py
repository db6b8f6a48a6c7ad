"""Evaluate a checkpoint with mmengine's Runner; print COCO AP, AP50, AP75, APs, APm, APl and
write them as JSON.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--coco-backend faster-coco-eval]
                                           [--out results.pkl] [--show-dir DIR [--score-thr 0.05]]
                                           [--cfg-options ...]
    bash tools/dist_test.sh CONFIG CHECKPOINT 8 [options]        # 8 GPUs (torchrun)

``--coco-backend faster-coco-eval`` gives the same numbers as the default pycocotools, faster.
``--score-thr`` is the lowest score drawn with ``--show-dir`` (a fraction, as the drawn scores);
AP is computed from every detection whatever it is. Errors print as one line (``--debug``).
"""
import argparse
import json
import os.path as osp
import sys

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmengine.dist import is_main_process

from brs_detr.engine import add_runner_arguments, build_runner, load_config, run_cli, set_local_rank_env
from brs_detr.engine.score_visualizer import DEFAULT_SCORE_THR
from brs_detr.io.safe_load import check_checkpoint_file
from brs_detr.evaluation import BACKENDS, CocoAPMetric, with_coco_backend


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate a detector checkpoint")
    parser.add_argument("config", help="config file")
    parser.add_argument("checkpoint", help="checkpoint file (loaded with weights_only=True)")
    parser.add_argument("--work-dir", help="where logs and metrics go (default work_dirs/<config>)")
    parser.add_argument("--coco-backend", choices=BACKENDS, default="pycocotools",
                        help="COCO evaluator (default: %(default)s)")
    parser.add_argument("--metrics-json", help="where the AP summary goes "
                                               "(default <work-dir>/coco_metrics.json)")
    parser.add_argument("--out", help="also dump the raw predictions to this .pkl file")
    parser.add_argument("--show-dir", help="draw predictions into this folder (inside the work dir)")
    parser.add_argument("--score-thr", type=float, default=DEFAULT_SCORE_THR,
                        help="lowest score drawn with --show-dir (default: %(default)s)")
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    set_local_rank_env(args.local_rank)
    check_checkpoint_file(args.checkpoint)
    if args.out is not None and not args.out.endswith((".pkl", ".pickle")):
        raise ValueError(f"--out must name a .pkl file, got {args.out}")
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    cfg.load_from = args.checkpoint
    cfg.test_evaluator = with_coco_backend(cfg.test_evaluator, args.coco_backend)
    if args.show_dir:
        args.show = False
        cfg = trigger_visualization_hook(cfg, args)
        cfg.default_hooks.visualization.score_thr = args.score_thr

    runner = build_runner(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    runner.test()

    summary = {iou_type: values for metric in runner.test_evaluator.metrics
               if isinstance(metric, CocoAPMetric) for iou_type, values in metric.summary.items()}
    if is_main_process() and summary:
        path = args.metrics_json or osp.join(cfg.work_dir, "coco_metrics.json")
        with open(path, "w") as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint, backend=args.coco_backend,
                           **summary), f, indent=2)
        for iou_type, values in summary.items():
            print(f"{iou_type}: " + "  ".join(f"{k} {100 * v:.1f}" for k, v in values.items()))
        print(f"metrics written to {path}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
