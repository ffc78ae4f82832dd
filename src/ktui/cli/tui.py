"""``ktui [--preset NAME | --spec FILE] [--start] [--fps N]``: the TUI."""

from __future__ import annotations

import argparse
import os
import sys

from ktui.cli.common import load_spec, use_layer_files
from ktui.cli.errors import UsageError


def cmd_tui(args: argparse.Namespace) -> int:
    use_layer_files(args)  # your layers (--layers): imported now, before the spec is read
    spec = load_spec(args)
    if args.start:  # the app checks the spec before it opens the training view
        from ktui.core.user_layers import resolve_shapes

        resolve_shapes(spec)
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
