"""``--data PATH [--target COLUMN]``: train on the user's own file or folder.

Alone, ``--data`` makes the whole experiment (the kind from the path, a default model that
fits the data: :func:`ktui.core.spec.for_data.experiment_for`); with ``--spec`` or ``--preset`` it
points that experiment at the data, keeping its layers and training settings.
"""

from __future__ import annotations

import argparse
import typing

from ktui.cli.errors import UsageError
from ktui.core import spec as specmod
from ktui.core.datasets import DataError

if typing.TYPE_CHECKING:
    from ktui.core.runs.rundir import RunDir


def spec_for_data(args: argparse.Namespace) -> specmod.ExperimentSpec:
    """The experiment ``--data`` makes on its own."""
    from ktui.core.spec.for_data import experiment_for

    if not args.data.strip():
        raise UsageError("--data: the path is empty")
    try:
        return experiment_for(args.data, getattr(args, "target", None), _feature_names(args))
    except DataError as err:
        raise UsageError(str(err)) from None


def apply_data(args: argparse.Namespace, spec: specmod.ExperimentSpec) -> None:
    """``--data`` (and ``--target``) onto a spec read from a file or a preset."""
    from ktui.core.spec.for_data import use_data

    data, target = getattr(args, "data", None), getattr(args, "target", None)
    if data is None:
        if target:
            _target_only(spec, target)
        _features(args, spec)
        return
    if not data.strip():
        raise UsageError("--data: the path is empty")
    try:
        use_data(spec, data, target)
    except DataError as err:
        raise UsageError(str(err)) from None
    _features(args, spec)


def _feature_names(args: argparse.Namespace) -> list[str] | None:
    """``--features a,b`` as names; None when not given."""
    given = getattr(args, "features", None)
    if given is None:
        return None
    names = [name.strip() for name in given.split(",") if name.strip()]
    if not names:
        raise UsageError("--features: name at least one column (comma-separated)")
    return names


def _features(args: argparse.Namespace, spec: specmod.ExperimentSpec) -> None:
    """``--features a,b``: the CSV columns to learn from (the rest, target aside, left out)."""
    names = _feature_names(args)
    if names is None:
        return
    if not hasattr(spec.dataset, "features"):
        raise UsageError("--features names columns of a CSV file; use it with --data FILE.csv "
                         "(or a spec whose dataset is a CSV file)")
    spec.dataset.features = names  # type: ignore[attr-defined]


def show_card(spec: specmod.ExperimentSpec) -> None:
    """A user's data, said on stderr before training (stdout stays the reporter's): its
    card's lines, class counts as bars."""
    from ktui.cli.errors import say
    from ktui.core.datasets import OwnData
    from ktui.core.text import clean

    if isinstance(spec.dataset, OwnData):
        say("".join(f"{clean(line)}\n" for line in spec.dataset.card().lines()))


def refuse_changed_data(run_dir: RunDir, spec: specmod.ExperimentSpec) -> None:
    """Refuse (exit 2) to resume a run on data that changed since it began, by content:
    ``summary.json``'s ``data`` against the file's sha256 now."""
    from ktui.core.datasets.source import source_change
    from ktui.core.runs.storage import RunError
    from ktui.core.text import clean

    try:
        recorded = run_dir.read_summary().data
    except RunError:
        return
    if not recorded:
        return  # built-in data, or a run of an older ktui
    try:
        current = spec.dataset.source()
    except DataError as err:
        why: str | None = f"its data cannot be read ({err})"
    else:
        why = None if current is None else source_change(recorded, current)
    if why:
        name = clean(run_dir.name)
        raise UsageError(f"{name}: {why}; put the data back as it was to resume, or pass "
                     f"--restart to train it again from epoch 1 on the data as it is now "
                     f"(its files are kept under {name}/previous/)")


def _target_only(spec: specmod.ExperimentSpec, target: str) -> None:
    """``--target`` without ``--data``: the spec's own CSV file's column."""
    if not hasattr(spec.dataset, "target"):
        raise UsageError("--target names the column of a CSV file to predict; use it with "
                     "--data FILE.csv (or a spec whose dataset is a CSV file)")
    spec.dataset.target = target  # type: ignore[attr-defined]
