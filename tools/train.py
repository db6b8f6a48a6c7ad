"""Train a detector with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                                 [--tensorboard] [--cfg-options key=value ...]
    bash tools/dist_train.sh CONFIG 8 [options]        # 8 GPUs on one machine (torchrun)

Checkpoints are loaded with torch's safe unpickler; ``--resume`` (no value) continues from the work
dir's latest checkpoint, including the optimiser, lr schedule and random-generator states.
"""
import argparse
import os.path as osp

from mmengine.dist import is_main_process

from brs_detr.engine import (add_rng_state_hook, add_runner_arguments, build_runner, enable_amp,
                             enable_auto_scale_lr, enable_tensorboard, load_config,
                             set_local_rank_env, set_resume)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train a detector")
    parser.add_argument("config", help="config file")
    parser.add_argument("--work-dir", help="where logs and checkpoints go (default work_dirs/<config>)")
    parser.add_argument("--resume", nargs="?", const="auto", metavar="CKPT",
                        help="resume from CKPT, or (no value) from the work dir's latest checkpoint")
    parser.add_argument("--amp", action="store_true", help="automatic mixed precision")
    parser.add_argument("--auto-scale-lr", action="store_true",
                        help="scale the lr to the actual total batch size (config's auto_scale_lr)")
    parser.add_argument("--tensorboard", action="store_true", help="also log to TensorBoard")
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    set_local_rank_env(args.local_rank)
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    if args.tensorboard:
        enable_tensorboard(cfg)
    set_resume(cfg, args.resume)
    add_rng_state_hook(cfg)
    runner = build_runner(cfg)
    runner.train()
    last = osp.join(cfg.work_dir, "last_checkpoint")  # written by mmengine's CheckpointHook
    if is_main_process() and osp.isfile(last):
        with open(last) as f:
            print(f"training done; logs in {runner.log_dir}, last checkpoint {f.read().strip()}")


if __name__ == "__main__":
    main()
