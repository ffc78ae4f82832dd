"""The command line: ``ktui [--preset|--spec] [--start]`` (the TUI) and its commands."""

from __future__ import annotations

import argparse
import math
import typing

from ktui import __version__
from ktui.cli.sweep_parser import add_sweep
from ktui.core import spec as specmod
from ktui.core.choices import OPTIMIZERS
from ktui.core.spec.presets import PRESETS
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
    parser.add_argument("--data", metavar="PATH",
                        help="your own data: a .csv file, a .npz file or a folder of class "
                        "folders of images (alone: with a fitting default model)")
    parser.add_argument("--target", metavar="COLUMN",
                        help="with --data FILE.csv: the column to predict (default: the last)")
    parser.add_argument("--features", metavar="A,B,...",
                        help="with --data FILE.csv: the columns to learn from, comma-separated "
                        "(default: every other column)")
    _add_layers(parser)


def _add_layers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--layers", metavar="FILE", action="append",
                        help="a Python file of your own keras.layers.Layer classes, offered "
                        "beside ktui's (repeatable; also $KTUI_LAYERS, a path list). Its code "
                        "runs: name only files you trust")
    parser.add_argument("--no-checks", action="store_true",
                        help="train even when a check of your layers fails (get_config, "
                        "saving, gradients): said as a warning instead")


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
    _add_watch(sub)
    _add_serve(sub)
    _add_export(sub)
    _add_devices(sub)
    add_sweep(sub, _add_spec_source, _add_runs_dir)
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
    train.add_argument("--jit", nargs="?", const="on", choices=specmod.JIT_SETTINGS,
                       metavar="auto|on|off",
                       help="compile the step with XLA: on (--jit alone), off, or auto (the "
                            "default: XLA when it measures faster on a long run)")
    _add_placement(train)
    _add_steering(train)
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
    train.add_argument("--detach", action="store_true",
                       help="train in a background process that outlives the terminal "
                       "(output in RUN/train.log); prints the run and returns")
    train.add_argument("--into-run", metavar="DIR", help=argparse.SUPPRESS)
    _add_runs_dir(train)


def _count(low: int, high: int) -> typing.Callable[[str], int]:
    """An integer flag in [low, high], refused with the range (not argparse's "invalid int")."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}, "
                                             f"got {text!r}")
        return value
    return parse


def _add_placement(train: argparse.ArgumentParser) -> None:
    """Where and how the step runs: the spec's ``train.strategy`` ... ``precision``."""
    group = train.add_argument_group(
        "devices", "several GPUs, several machines (tf.distribute), precision")
    group.add_argument("--strategy", choices=specmod.STRATEGIES,
                       help="auto (mirrored over every GPU when there are several), one, "
                       "mirrored, multiworker (machines from TF_CONFIG; run the same command "
                       "on each)")
    group.add_argument("--devices", metavar="I,J",
                       help="GPU indices to train on, e.g. 0,1 (default: all)")
    group.add_argument("--cpu-devices", type=_count(1, specmod.MAX_CPU_DEVICES), metavar="N",
                       help="split the CPU into N logical devices (simulates a multi-device "
                       "box: the mirrored path runs without GPUs)")
    group.add_argument("--precision", choices=specmod.PRECISIONS,
                       help="float32, or mixed_float16 (GPUs) / mixed_bfloat16")
    group.add_argument("--steps-per-execution", type=_count(0, 10_000), metavar="K",
                       help="K training steps per compiled call (host syncs every K); "
                       "0 (the default): auto, up to log_every steps in calls under 0.1 s")


def _add_steering(train: argparse.ArgumentParser) -> None:
    """Schedules, early stopping, clipping, stop rules: the spec's fields of the same names
    (the schedule's other parameters are in ``[train.schedule]``)."""
    from ktui.core.spec.steering import SCHEDULES

    group = train.add_argument_group("steering", "learning-rate schedule, early stopping, "
                                     "clipping, weight decay, stop rules")
    group.add_argument("--optimizer", choices=list(OPTIMIZERS), help="the optimizer")
    group.add_argument("--schedule", choices=SCHEDULES,
                       help="learning-rate schedule (parameters in [train.schedule])")
    group.add_argument("--early-stopping", type=_count(1, 100_000), metavar="PATIENCE",
                       help="stop when the monitor (train.early_stopping.monitor, default "
                       "val_loss) has not improved for PATIENCE epochs")
    group.add_argument("--restore-best", action="store_true",
                       help="with early stopping: end with the best epoch's weights")
    group.add_argument("--clip-norm", type=float, metavar="X",
                       help="clip the gradients' global norm to X (0 = off)")
    group.add_argument("--clip-value", type=float, metavar="X",
                       help="clip every gradient value to ±X (0 = off)")
    group.add_argument("--weight-decay", type=float, metavar="X",
                       help="decoupled weight decay (adamw: try 0.004)")
    group.add_argument("--nesterov", action="store_true", help="sgd: Nesterov momentum")
    group.add_argument("--stop-when", metavar="'NAME>=X'",
                       help="stop once a metric reaches a target, e.g. 'val_accuracy >= 0.9'")
    group.add_argument("--max-minutes", type=float, metavar="M",
                       help="stop after M minutes of training (checked after each epoch)")


def _add_devices(sub: typing.Any) -> None:
    devices = sub.add_parser("devices", help="list the devices TensorFlow sees",
                             description="The CPUs and GPUs TensorFlow sees (name, kind, "
                             "memory for GPUs): what --strategy and --devices choose from.")
    devices.add_argument("--json", action="store_true", help="one JSON object per device")


def _add_runs(sub: typing.Any) -> None:
    runs = sub.add_parser("runs", help="list recorded runs",
                          description="Runs live under --runs-dir, $KTUI_RUNS_DIR or ./ktui-runs.")
    _add_runs_dir(runs)
    runs.add_argument("--all", action="store_true",
                      help="list each sweep's trials under it (default: one line a sweep)")
    # The help goes on the group, not the parser: argparse would list `show` twice.
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="show",
                                   help="print one run's summary and per-epoch metrics "
                                   "(without it: list the runs)")
    runs_show = runs_sub.add_parser(
        "show",
        description="RUN is a run name (see `ktui runs`), a unique prefix of one, a path, or "
        "an experiment's name (its latest run); without RUN, the latest run.")
    runs_show.add_argument("run", metavar="RUN", nargs="?",
                           help="name, unique prefix, path or experiment name (default: the "
                           "latest run)")
    runs_show.add_argument("--json", action="store_true",
                           help="print the run's summary.json as it is")
    runs_show.add_argument("--confusion", action="store_true",
                           help="print the confusion matrices (test set, latest validation) "
                           "with per-class recall and precision")
    _add_runs_dir(runs_show)


def _add_watch(sub: typing.Any) -> None:
    watch = sub.add_parser(
        "watch", help="follow a run another process trains (e.g. ktui train --detach)",
        description="On a terminal: the TUI's training view on the run, steered with its keys "
        "(space, n, s, +, -, L). Otherwise (or --plain): its progress as `ktui train` prints "
        "it, from its events.jsonl as it grows, until it ends (exit code: the run's). Leaving "
        "(q, Ctrl+C) never stops it.")
    watch.add_argument("run", metavar="RUN", nargs="?",
                       help="name, unique prefix or path (default: the latest running run)")
    how = watch.add_mutually_exclusive_group()
    how.add_argument("--plain", action="store_true", help="lines, not the TUI, on a terminal")
    how.add_argument("--jsonl", action="store_true", help="the events as JSON lines")
    watch.add_argument("--fps", type=_fps, default=4.0, metavar="N",
                       help="the TUI's chart redraws per second at most (default 4)")
    _add_runs_dir(watch)
    control = sub.add_parser(
        "control", help="pause, resume, step, stop or set the learning rate of a running run",
        description="Send one request to the process training RUN (default: the latest "
        "running run) through RUN/control.sock, then wait for the trainer's event that "
        "answers it. Only the user training the run can steer it.")
    control.add_argument("words", nargs="+", metavar="[RUN] ACTION",
                         help="pause | resume | step [N] | stop | lr VALUE | lr xFACTOR")
    control.add_argument("--wait", type=float, default=5.0, metavar="S",
                         help="seconds to wait for the trainer's answer (0: do not wait)")
    _add_runs_dir(control)


def _add_serve(sub: typing.Any) -> None:
    serve = sub.add_parser(
        "serve", help="the app in a browser (needs ktui[serve])",
        description="Serve the TUI to a browser with textual-serve: one ktui per tab. Binds "
        "127.0.0.1; from another machine: ssh -L 8000:localhost:8000 BOX, then "
        "http://localhost:8000. Arguments after -- go to each tab's ktui (e.g. -- --preset "
        "fashion-mlp, or -- watch RUN).")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1; another needs --public)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--public", action="store_true",
                       help="allow a non-loopback --host: there is no login, and ktui runs "
                       "Python files, so anyone reaching it runs code as you")
    serve.add_argument("app_args", nargs=argparse.REMAINDER, metavar="-- KTUI-ARGS")
    _add_runs_dir(serve)


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
    _add_layers(export)
    _add_runs_dir(export)
