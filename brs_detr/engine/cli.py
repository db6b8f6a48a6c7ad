"""Errors of the command-line tools as one clear line; the traceback only on request.

``--debug`` on the command line or ``BRS_DEBUG=1`` in the environment re-raises the error, so the
full traceback is printed as usual.
"""
from __future__ import annotations

import os
import sys
from typing import Callable

DEBUG_ENV = "BRS_DEBUG"
DEBUG_FLAG = "--debug"


def debug_requested(argv=None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    return DEBUG_FLAG in map(str, argv) or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def one_line(err: BaseException) -> str:
    """``Type: first line of the message`` (KeyError's quotes removed)."""
    message = err.args[0] if isinstance(err, KeyError) and err.args else err
    text = str(message).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_cli(main: Callable, argv=None) -> int:
    """``main(argv)``; an exception becomes ``error: ...`` on stderr and exit status 1."""
    try:
        return main(argv) or 0
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # the whole point: any failure reaches the user as one line
        if debug_requested(argv):
            raise
        print(f"error: {one_line(err)}  ({DEBUG_FLAG} or {DEBUG_ENV}=1 shows the traceback)",
              file=sys.stderr)
        return 1
