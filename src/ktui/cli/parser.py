"""The command line: ``ktui [--preset|--spec] [--start]`` (the TUI) and its commands."""

from __future__ import annotations

import argparse
import math
import typing

from ktui import __version__
from ktui.core import spec as specmod
from ktui.core.presets import PRESETS
from ktui.core.text import clean

#: Redraw rates ``--fps`` accepts: below 0.5 the screen looks frozen, above 60 no terminal
#: shows the difference and the redraws cost CPU.
FPS_RANGE = (0.5, 60.0)


class _Parser(argparse.ArgumentParser):
    """argparse, with the offending text of its errors cleaned of terminal escapes
    (``unrecognized arguments`` echoes what was typed as is)."""

    def error(self, message: str) -> typing.NoReturn:
        super().error(clean(message))


def _fps(text: str) -> float:
    """``--fps``: a finite rate in :data:`FPS_RANGE` (``nan`` would stop every redraw)."""
    low, high = FPS_RANGE
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(
            f"must be a number of redraws per second from {low:g} to {high:g}, got {text!r}")
    return value


def _add_spec_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--preset", metavar="NAME",
                       help=f"a built-in experiment ({', '.join(PRESETS)})")
    group.add_argument("--spec", metavar="FILE", help="an experiment TOML file")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the Fashion-MNIST .gz files are (else the standard places)")


def _add_runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="where runs are recorded (default $KTUI_RUNS_DIR or ./ktui-runs)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ktui",
        description="A terminal trainer for Keras models. Without a command, opens the TUI.",
        epilog="Commands: ktui train --help, ktui presets --help",
    )
    parser.add_argument("--version", action="version", version=f"ktui {__version__}")
    _add_spec_source(parser)
    parser.add_argument("--start", action="store_true", help="start training at once")
    parser.add_argument("--fps", type=_fps, default=4.0, metavar="N",
                        help="chart redraws per second at most, 0.5 to 60 (default 4)")
    _add_runs_dir(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)
    _add_runs(sub)
    _add_export(sub)
    presets = sub.add_parser("presets", help="list the built-in experiments")
    presets_sub = presets.add_subparsers(dest="presets_command", metavar="show")
    show = presets_sub.add_parser("show", help="print a preset as a TOML spec for --spec")
    show.add_argument("name", metavar="NAME")
    return parser


def _add_train(sub: typing.Any) -> None:
    train = sub.add_parser("train", help="train headless, printing progress",
                           description="Train without the TUI. Exit codes: 0 done, 1 training "
                           "failed or the run directory cannot be used, 2 invalid spec or "
                           "arguments, 130/143/129 stopped by Ctrl+C/SIGTERM/SIGHUP (after the "
                           "batch, model saved).")
    _add_spec_source(train)
    train.add_argument("--epochs", type=int, metavar="N")
    train.add_argument("--batch-size", type=int, metavar="N", help="0 = full batch")
    train.add_argument("--lr", type=float, metavar="X", help="learning rate")
    train.add_argument("--seed", type=int, metavar="N")
    train.add_argument("--device", choices=specmod.DEVICES,
                       help="auto (GPU when TensorFlow sees one), cpu or gpu")
    train.add_argument("--jit", action="store_true", help="compile the step with XLA")
    train.add_argument("--jsonl", action="store_true",
                       help="one JSON object per event on stdout, nothing else")
    train.add_argument("--headless", action="store_true",
                       help="accepted for clarity; `ktui train` is always headless")
    train.add_argument("--verbose", action="store_true", help="show TensorFlow's own logs")
    train.add_argument("--resume", metavar="RUN",
                       help="continue a run from its last checkpoint (name or path)")
    train.add_argument("--restart", action="store_true",
                       help="with --resume: train the run again from epoch 1, its earlier "
                       "files moved to RUN/previous/")
    _add_runs_dir(train)


def _add_runs(sub: typing.Any) -> None:
    runs = sub.add_parser("runs", help="list recorded runs",
                          description="Runs live under --runs-dir, $KTUI_RUNS_DIR or ./ktui-runs.")
    _add_runs_dir(runs)
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="show")
    runs_show = runs_sub.add_parser(
        "show", help="print one run's summary and per-epoch metrics",
        description="RUN is a run name (see `ktui runs`), a unique prefix of one, or a path; "
        "without RUN, the latest run.")
    runs_show.add_argument("run", metavar="RUN", nargs="?",
                           help="name, unique prefix or path (default: the latest run)")
    runs_show.add_argument("--json", action="store_true",
                           help="print the run's summary.json as it is")
    _add_runs_dir(runs_show)


def _add_export(sub: typing.Any) -> None:
    export = sub.add_parser("export", help="write a run as a standalone Python script",
                            description="Write a script (TensorFlow/Keras and numpy only) that "
                            "defines the custom layers, builds the model and trains it with a "
                            "GradientTape loop, reproducing the run's loss curve.")
    export.add_argument("run", metavar="RUN",
                        help="a run name (see `ktui runs`), a unique prefix of one, or a path")
    export.add_argument("--python", metavar="FILE", required=True, help="the script to write")
    export.add_argument("--style", choices=specmod.MODEL_STYLES,
                        help="how the model is built (default: the run's)")
    _add_runs_dir(export)
