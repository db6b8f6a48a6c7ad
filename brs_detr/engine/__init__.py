"""Runner set-up for the command-line tools, and the hooks they add (``RNGStateHook``)."""
from .rng_state_hook import RNGStateHook
from .runner_setup import (add_rng_state_hook, add_runner_arguments, build_runner, enable_amp, enable_auto_scale_lr,
                           enable_tensorboard, load_config, set_local_rank_env, set_resume)

__all__ = ["RNGStateHook", "add_rng_state_hook", "add_runner_arguments", "build_runner", "enable_amp", "enable_auto_scale_lr",
           "enable_tensorboard", "load_config", "set_local_rank_env", "set_resume"]
