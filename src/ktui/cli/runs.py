"""``ktui runs`` (the recorded runs, one line each) and ``ktui runs show [RUN] [--json]``."""

from __future__ import annotations

import argparse
import os
import sys

from ktui.cli.errors import EXIT_OK, UsageError, say
from ktui.core import spec as specmod
from ktui.core.text import clean


def cmd_runs(args: argparse.Namespace) -> int:
    from ktui.core.runs.listing import list_runs
    from ktui.core.runs.storage import runs_root

    root = runs_root(getattr(args, "runs_dir", None))
    if args.runs_command == "show":
        return _show_run(root, args.run, raw=args.json,
                         confusion=getattr(args, "confusion", False))
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: not a directory (--runs-dir names the folder of runs)")
    try:
        runs, problems = list_runs(root)
    except OSError as err:
        raise UsageError(f"{root}: cannot list runs ({err.strerror or err})") from None
    for problem in problems:
        sys.stderr.write(f"ktui: {clean(problem)}\n")
    if not runs:
        print(f"no runs under {clean(str(root))}")
        return EXIT_OK
    print("\n".join(listing_lines(runs, getattr(args, "all", False))))
    if not getattr(args, "all", False) and any(r.trial is not None for r in runs):
        say("ktui: each sweep is one line; --all lists its trials under it\n")
    return EXIT_OK


def listing_lines(runs: list, expand: bool) -> list[str]:
    """The runs table: one line a run; a sweep's trials as one line for the sweep (its
    trials indented under it with ``expand``)."""
    from ktui.core.runs.listing import SweepGroup, group_sweeps

    items = group_sweeps(runs)
    shown = [r for item in items for r in (
        (item.runs if expand else ()) if isinstance(item, SweepGroup) else (item,))]
    width = max([len(_name(r)) for r in shown] + [3])
    lines = [f"{'RUN':<{width}}  {'DATASET':<13} {'EPOCHS':>7}  {'BEST':<20} {'STATUS':<11} AGE"]
    for item in items:
        if isinstance(item, SweepGroup):
            lines.append(_sweep_line(item))
            lines += [_row(r, width) for r in item.runs] if expand else []
        else:
            lines.append(_row(item, width))
    return lines


def _name(r) -> str:
    return ("  " if r.trial is not None else "") + clean(r.name)


def _row(r, width: int) -> str:
    from ktui.core.runs.listing import format_age

    epochs = f"{r.epochs_done}/{r.epochs}"
    status = r.trial.state if r.trial is not None and r.trial.state == "pruned" else r.status
    return (f"{_name(r):<{width}}  {clean(r.dataset):<13} {epochs:>7}  {clean(r.best):<20} "
            f"{clean(status):<11} {format_age(r.age_s)}")


def _sweep_line(group) -> str:
    """``sweep lr-test: 8 trials (5 complete, 3 pruned), best val_loss 0.0012 (trial 3),
    2m ago``."""
    from ktui.core.runs.listing import format_age
    from ktui.core.text import metric_text

    counts: dict[str, int] = {}
    for r in group.runs:
        state = r.trial.state or ("running" if r.status == "running" else r.status)
        counts[state] = counts.get(state, 0) + 1
    words = ", ".join(f"{n} {s}" for s, n in counts.items())
    n = len(group.runs)
    line = f"sweep {clean(group.study)}: {n} trial{'s' * (n != 1)} ({words})"
    best = group.best
    if best is not None:
        line += (f", best {best.trial.metric or 'value'} {metric_text(best.trial.value)} "
                 f"(trial {best.trial.number})")
    return f"{line}, {format_age(min(r.age_s for r in group.runs))}"


def _show_run(root: os.PathLike, name: str | None, raw: bool, confusion: bool = False) -> int:
    """``ktui runs show [RUN] [--json] [--confusion]``: the latest run, or one by name,
    prefix or path."""
    import json
    import time

    from ktui.cli.run_report import epoch_table, summary_lines
    from ktui.core.runs.listing import find_run
    from ktui.core.runs.storage import RunError

    try:
        run = find_run(root, name, note=lambda words: say(f"ktui: {words}\n"))
        summary = run.summary()
        typed = run.read_summary()
    except RunError as err:
        raise UsageError(str(err)) from None
    for problem in typed.problems + run.read_metrics().problems:  # shown, then skipped
        sys.stderr.write(f"ktui: warning: {clean(run.name)}: {clean(problem)}\n")
    if raw:
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    if confusion:
        return _print_confusion(run.name, summary.get("confusion"))
    summary = typed.to_dict()  # every value of the right type from here on
    try:
        status = run.status()
    except (RunError, ValueError, TypeError):
        status = str(summary.get("status", "unknown"))
    try:
        spec = run.spec(lenient_layers=True)  # shown, not trained: no --layers needed
        dataset, epochs = spec.dataset.kind, spec.train.epochs
    except (specmod.SpecError, RunError, OSError):
        dataset, epochs = "(spec.toml unreadable)", None
    if isinstance(summary.get("epochs"), int):
        epochs = summary["epochs"]
    try:
        rows = run.epochs_logged()
    except (RunError, OSError, ValueError) as err:
        rows = []
        sys.stderr.write(f"ktui: {clean(str(run.metrics_file))}: unreadable ({clean(str(err))})\n")
    lines = summary_lines(run.name, str(run.path), summary, status, dataset, epochs, time.time())
    table = epoch_table(rows)
    print("\n".join(lines + ([""] + table if table else [])))
    return EXIT_OK


def _print_confusion(name: str, data: object) -> int:
    """The run's confusion matrices (test, then the latest validation one) as text."""
    import numpy as np

    from ktui.core.insight import confusion_text

    if not isinstance(data, dict) or not any(k in data for k in ("test", "validation")):
        raise UsageError(f"{name} has no confusion matrix (it is recorded for classification "
                         "runs from this version on)")
    names = tuple(str(n) for n in data.get("class_names", []))
    blocks = []
    for split in ("test", "validation"):
        part = data.get(split)
        if not isinstance(part, dict):
            continue
        try:
            matrix = np.asarray(part["matrix"], np.int64)
            if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
                raise ValueError("not square")
        except (KeyError, TypeError, ValueError):
            sys.stderr.write(f"ktui: warning: {clean(name)}: summary.json's {split} confusion "
                             "matrix is damaged; skipped\n")
            continue
        title = f"{split} set, epoch {part.get('epoch', '?')}"
        blocks.append(clean(confusion_text(matrix, names, title), keep_newlines=True))
    print("\n\n".join(blocks))
    return EXIT_OK
