"""``ktui sweep``'s arguments: a sweep (``--param`` ... ``--trials``), ``join``, ``status``,
``best``. Kept beside :mod:`.parser`, which calls :func:`add_sweep`."""

from __future__ import annotations

import argparse
import typing

from ktui.core.sweep import PRUNERS, SAMPLERS

_SPACE_HELP = ("DOTTED=SPACE, repeatable: a path into the spec (train.learning_rate, "
               "layers.2.units: layers from 1) and log:A..B, float:A..B, int:A..B[:STEP] or "
               "choice:a,b,c")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 100000, got {text!r}")
    return value


def _where(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--storage", metavar="URL", required=required,
                        help="the study's storage: a journal file path (default "
                        "RUNS/.sweeps/STUDY.journal), sqlite:///FILE or postgresql://...")
    parser.add_argument("--study", metavar="NAME", help="the study's name (default: "
                        + ("the storage's only study)" if required else
                           "SPEC-DATE when starting; the storage's only study otherwise)"))


def _isolate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--isolate", action="store_true",
                        help="run each trial as its own `ktui train` process (your layer "
                        "files imported afresh, a crash fails only that trial, GPU memory "
                        "freed after each); slower to start than trials in the worker")


def add_sweep(sub: typing.Any, add_spec_source: typing.Callable[[typing.Any], None],
              add_runs_dir: typing.Callable[[typing.Any], None]) -> None:
    sweep = sub.add_parser(
        "sweep", help="many runs of one experiment: a hyperparameter search on Optuna",
        description="Train trials of a spec with values from a search space, several worker "
        "processes sharing one Optuna study; unpromising trials are pruned after an epoch. "
        "Every trial is an ordinary run. Exit codes: 0 done (a trial completed), 1 no trial "
        "completed, 2 invalid space, spec or arguments, 130 interrupted.")
    add_spec_source(sweep)
    sweep.add_argument("--param", action="append", default=[], metavar="DOTTED=SPACE",
                       help=_SPACE_HELP)
    sweep.add_argument("--trials", type=_positive, metavar="N",
                       help="trials in all, over every worker (default 20)")
    sweep.add_argument("--workers", type=_positive, metavar="K",
                       help="worker processes on this machine (default: one per GPU with "
                       "several GPUs, each seeing its own; else 1)")
    _isolate(sweep)
    sweep.add_argument("--view", action="store_true",
                       help="follow the sweep in the sweep view (TUI) while its workers run "
                       "in the background; leaving asks whether to stop it")
    sweep.add_argument("--metric", metavar="NAME",
                       help="what a trial is judged by (default val_loss, loss without a "
                       "validation split)")
    sweep.add_argument("--direction", metavar="min|max",
                       help="minimize or maximize the metric (default: by the metric)")
    sweep.add_argument("--pruner", choices=PRUNERS,
                       help="stop unpromising trials after an epoch (default median)")
    sweep.add_argument("--warmup-epochs", type=int, metavar="E",
                       help="median pruner: prune from epoch E on (default epochs/5, 1 to 5)")
    sweep.add_argument("--sampler", choices=SAMPLERS, help="how values are chosen (default "
                       "tpe; grid needs choice and int spaces)")
    sweep.add_argument("--epochs", type=_positive, metavar="E", help="epochs of each trial")
    sweep.add_argument("--seed", type=int, metavar="N", help="the samplers' seed (default 0)")
    sweep.add_argument("--no-baseline", action="store_true",
                       help="do not make trial 0 the spec's own values")
    _where(sweep)
    add_runs_dir(sweep)
    more = sweep.add_subparsers(dest="sweep_command", metavar="join|status|view|best")
    join = more.add_parser("join", help="add workers to a study (from this or another machine)",
                           description="Run trials of an existing study until it has its "
                           "trials: the spec, the space and the pruner come from the study.")
    _where(join, required=True)
    join.add_argument("--workers", type=_positive, metavar="K",
                      help="worker processes here (default: one per GPU with several GPUs; "
                      "else 1)")
    _isolate(join)
    join.add_argument("--layers", metavar="FILE", action="append",
                      help="your layer file, when the study's spec uses one: the same file "
                      "(same content) the sweep was started with (repeatable)")
    join.add_argument("--no-checks", action="store_true",
                      help="train even when a check of your layers fails")
    join.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    join.add_argument("--max-trials", type=_positive, help=argparse.SUPPRESS)
    add_runs_dir(join)
    status = more.add_parser("status", help="a study's trials as plain lines",
                             description="Counts by state, the best so far and a table of "
                             "trials (default: the newest journal under the runs folder).")
    _where(status)
    status.add_argument("--watch", action="store_true",
                        help="follow the study until it is done: on a terminal the whole "
                        "status again every --every seconds; in a pipe only the trials that "
                        "are new or changed, one line each")
    status.add_argument("--jsonl", action="store_true",
                        help="one JSON object per trial (with --watch: per new or changed "
                        "trial, and the counts when they change)")
    status.add_argument("--every", type=float, default=2.0, metavar="S", help=argparse.SUPPRESS)
    add_runs_dir(status)
    view = more.add_parser("view", help="the sweep view (TUI): the trials live, their curves",
                           description="Counts by state, the best so far, every trial's "
                           "curve and a table of trials, refreshed every second; enter opens "
                           "a trial's run, p prunes it, + adds trials, s stops the sweep "
                           "(default: the newest journal under the runs folder).")
    _where(view)
    add_runs_dir(view)
    best = more.add_parser("best", help="the best trial's parameters; --spec-out writes its spec")
    _where(best)
    best.add_argument("--spec-out", metavar="FILE", help="write the best trial's spec here")
    add_runs_dir(best)
