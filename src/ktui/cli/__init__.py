"""``ktui``: the TUI by default; ``ktui train`` headless; ``ktui runs``, ``export``, ``presets``,
``devices``.

Exit codes: 0 done, 1 training failed (or the run directory cannot be used), 2 bad arguments
or spec, 128 + the signal when stopped by one (130 Ctrl+C, 143 SIGTERM, 129 SIGHUP).
One module per command (:mod:`.train` with :mod:`.headless`, :mod:`.runs`, :mod:`.export`,
:mod:`.presets`, :mod:`.tui`); the arguments in :mod:`.parser`. Nothing here imports Textual
or TensorFlow at the top: ``ktui --help`` is instant.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ktui.cli.devices import cmd_devices
from ktui.cli.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    silence_stdout,
)
from ktui.cli.export import cmd_export
from ktui.cli.parser import build_parser
from ktui.cli.presets import cmd_presets
from ktui.cli.runs import cmd_runs
from ktui.cli.serve import cmd_serve
from ktui.cli.sweep import cmd_sweep
from ktui.cli.train import cmd_train
from ktui.cli.tui import cmd_tui
from ktui.cli.watch import cmd_control, cmd_watch
from ktui.core import spec as specmod
from ktui.core.text import clean

_COMMANDS = {"train": cmd_train, "presets": cmd_presets, "runs": cmd_runs,
             "export": cmd_export, "devices": cmd_devices, "watch": cmd_watch,
             "control": cmd_control, "sweep": cmd_sweep, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what --detach hands on
    try:
        return _COMMANDS.get(args.command, cmd_tui)(args)
    except (UsageError, specmod.SpecError) as err:
        # Messages quote paths, names and values the user typed: no terminal escapes.
        sys.stderr.write(f"ktui: {clean(str(err), keep_newlines=True)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ktui runs show | head`: the reader has what it wanted
        silence_stdout()
        return EXIT_OK


__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
