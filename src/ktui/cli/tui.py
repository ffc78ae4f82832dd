"""``ktui [--preset NAME | --spec FILE] [--start] [--fps N]``: the TUI."""

from __future__ import annotations

import argparse
import os
import sys

from ktui.cli.common import UsageError, load_spec


def cmd_tui(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    try:
        from ktui.ui.app import run_app
    except ImportError as err:  # pragma: no cover - the UI ships with the package
        raise UsageError(f"the TUI is not available ({err}); use `ktui train`") from None
    code = run_app(spec, start=args.start, fps=args.fps, data_dir=args.data_dir,
                   runs_dir=getattr(args, "runs_dir", None))
    if "tensorflow" in sys.modules:
        # The terminal is restored and the trainer has stopped (the app waits for it);
        # skip TensorFlow's interpreter teardown, which can take seconds after a quit.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
