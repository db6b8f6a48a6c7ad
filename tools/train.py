"""Train a detector with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                                 [--tensorboard] [--cfg-options key=value ...]
    bash tools/dist_train.sh CONFIG 8 [options]        # 8 GPUs on one machine (torchrun)

Checkpoints are loaded with torch's safe unpickler; ``--resume`` (no value) continues from the work
dir's latest checkpoint (the previous one when the latest is truncated), including the optimiser, lr
schedule and random-generator states; with no checkpoint there it is an error unless
``--start-if-none``. A NaN/Inf loss stops the run naming the iteration and the loss. Errors print as
one line (``--debug`` or ``BRS_DEBUG=1`` for the traceback).
"""
import argparse
import os.path as osp
import sys

from mmengine.dist import is_main_process

from brs_detr.engine import (add_runner_arguments, add_training_hooks, build_runner, check_amp_available,
                             enable_amp, enable_auto_scale_lr, enable_tensorboard, load_config, run_cli,
                             set_local_rank_env, set_resume)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train a detector")
    parser.add_argument("config", help="config file")
    parser.add_argument("--work-dir", help="where logs and checkpoints go (default work_dirs/<config>)")
    parser.add_argument("--resume", nargs="?", const="auto", metavar="CKPT",
                        help="resume from CKPT, or (no value) from the work dir's latest checkpoint")
    parser.add_argument("--start-if-none", action="store_true",
                        help="with --resume: start from scratch when the work dir has no checkpoint")
    parser.add_argument("--amp", action="store_true",
                        help="automatic mixed precision (float16 with loss scaling; needs a CUDA GPU)")
    parser.add_argument("--auto-scale-lr", action="store_true",
                        help="scale the lr to the actual total batch size (config's auto_scale_lr)")
    parser.add_argument("--tensorboard", action="store_true", help="also log to TensorBoard")
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    set_local_rank_env(args.local_rank)
    if args.amp:
        check_amp_available()  # before anything is built
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    if args.tensorboard:
        enable_tensorboard(cfg)
    set_resume(cfg, args.resume, start_if_none=args.start_if_none)
    add_training_hooks(cfg)
    runner = build_runner(cfg)
    runner.train()
    last = osp.join(cfg.work_dir, "last_checkpoint")  # written by mmengine's CheckpointHook
    if is_main_process() and osp.isfile(last):
        with open(last) as f:
            print(f"training done; logs in {runner.log_dir}, last checkpoint {f.read().strip()}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
