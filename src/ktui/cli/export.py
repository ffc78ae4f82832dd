"""``ktui export RUN --python FILE``: a recorded run as a standalone training script."""

from __future__ import annotations

import argparse
from typing import Any

from ktui.cli.common import check_valid, spec_problems, use_layer_files
from ktui.cli.errors import EXIT_OK, UsageError, say
from ktui.core import spec as specmod
from ktui.core.text import clean


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ktui.core.export import ExportError, export_script
    from ktui.core.runs.listing import find_run
    from ktui.core.runs.storage import RunError, runs_root

    use_layer_files(args)  # a run of your layers: their file (the run keeps a copy)
    try:
        run = find_run(runs_root(getattr(args, "runs_dir", None)), args.run,
                       note=lambda words: say(f"ktui: {words}\n"))
        spec = run.spec()
    except RunError as err:
        raise UsageError(str(err)) from None
    except specmod.SpecError as err:
        raise UsageError(spec_problems(str(run.spec_file), err.errors)) from None
    # A hand-edited spec.toml: a script of it could not run either.
    check_valid(spec, str(run.spec_file))
    try:
        script = export_script(spec, args.style, run_name=run.name,
                               file_name=Path(args.python).name,
                               xla=_xla_used(run))
    except ExportError as err:  # one line naming the field, exit 2, never a traceback
        raise UsageError(f"cannot export {run.name}: {err}") from None
    target = Path(args.python)
    try:
        target.write_text(script, encoding="utf-8")
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise UsageError(f"cannot write {target}: "
                         f"{getattr(err, 'strerror', None) or err}") from None
    shown = clean(str(target))
    print(f"wrote {shown} (python3 {shown} trains it with TensorFlow only)")
    return EXIT_OK


def _xla_used(run: Any) -> bool | None:
    """Whether the run's step ran with XLA, as its summary says (what ``jit_compile = "auto"``
    picked); None when not said (no summary: the script follows the spec)."""
    from ktui.core.runs.storage import RunError

    try:
        return run.read_summary().xla.get("on")
    except RunError:
        return None
