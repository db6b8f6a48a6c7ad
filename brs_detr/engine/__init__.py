"""Runner set-up for the command-line tools, the hooks they add and their one-line errors."""
from .cli import run_cli
from .finetune_hook import FineTuneLoadHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .rng_state_hook import RNGStateHook
from .runner_setup import (add_rng_state_hook, add_runner_arguments, add_training_hooks, build_runner,
                           check_amp_available, enable_amp, enable_auto_scale_lr, enable_tensorboard,
                           latest_good_checkpoint, load_config, set_local_rank_env, set_resume)

__all__ = ["FineTuneLoadHook", "NonFiniteLossError", "NonFiniteLossHook", "RNGStateHook", "add_rng_state_hook",
           "add_runner_arguments", "add_training_hooks", "build_runner", "check_amp_available", "enable_amp",
           "enable_auto_scale_lr", "enable_tensorboard", "latest_good_checkpoint", "load_config", "run_cli",
           "set_local_rank_env", "set_resume"]
