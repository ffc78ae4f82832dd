"""The runs under a root: listed for ``ktui runs`` and the TUI, and found the way people name
one (the latest, a full name or path, or a unique prefix).

Run names start with a timestamp (``20261123-091107-linear-gd``), so name order is time order
and a unique prefix is enough to name one. A directory that is not a readable run, or a run
whose summary is damaged, is reported and skipped, never a crash.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ktui.core import spec as specmod
from ktui.core.runs.rundir import RunDir
from ktui.core.runs.storage import RunError
from ktui.core.runs.summary import RunSummary
from ktui.core.text import clean

#: How many candidates an "ambiguous prefix" message lists before "and N more".
_LISTED = 8


@dataclass(frozen=True)
class TrialInfo:
    """A run that is a trial of a sweep, from its ``summary.json``'s ``sweep``."""

    study: str
    number: int
    state: str = ""
    #: A finished trial's value (the best epoch of ``metric``), None otherwise.
    value: float | None = None
    metric: str = ""
    maximize: bool = False


@dataclass(frozen=True)
class RunInfo:
    name: str
    path: Path
    dataset: str
    epochs_done: int
    epochs: int
    status: str
    best: str
    age_s: float
    #: The sweep trial this run is (None for other runs).
    trial: TrialInfo | None = None


def _best_text(summary: RunSummary) -> str:
    best = summary.best
    metric = next((k for k in best if k.startswith("val_") and k != "val_loss"), None) \
        or summary.monitor
    value = best.get(metric)
    return f"{metric} {value:.4f}" if value is not None and math.isfinite(value) else "-"


def _first_line(err: BaseException) -> str:
    text = str(err)
    return clean(text.splitlines()[0]) if text.strip() else type(err).__name__


def list_runs(root: Path) -> tuple[list[RunInfo], list[str]]:
    """Every readable run under ``root``, newest first, and a problem line for each
    directory that is not one or is damaged (``NAME: skipped, damaged run (summary.json:
    epochs_done must be a whole number >= 0, got 'x')``)."""
    runs: list[RunInfo] = []
    problems: list[str] = []
    if not root.is_dir():
        return runs, problems
    now = time.time()
    for path in sorted(root.iterdir(), reverse=True):
        try:
            if not path.is_dir() or path.name.startswith("."):
                continue
        except OSError:
            continue
        run = RunDir(path)
        name = clean(path.name)
        try:
            spec = run.spec(lenient_layers=True)
            summary = run.read_summary()
        except (RunError, specmod.SpecError, OSError, ValueError) as err:
            problems.append(f"{name}: skipped, not a readable ktui run ({_first_line(err)})")
            continue
        if summary.problems:
            more = len(summary.problems) - 1
            problems.append(f"{name}: skipped, damaged run ({summary.problems[0]}"
                            + (f"; {more} more problem{'s' * (more != 1)}" if more else "")
                            + ")")
            continue
        runs.append(_info(run, spec, summary, now))
    return runs, problems


def run_info(path: Path, now: float | None = None) -> RunInfo:
    """One run's row as :func:`list_runs` makes it, for a run read alone; a damaged summary
    field is shown at its default rather than skipping the run.

    Raises:
        RunError, SpecError, OSError, ValueError: ``path`` is not a readable run.
    """
    run = RunDir(path)
    return _info(run, run.spec(lenient_layers=True), run.read_summary(),
                 time.time() if now is None else now)


def _info(run: RunDir, spec: specmod.ExperimentSpec, summary: RunSummary, now: float
          ) -> RunInfo:
    return RunInfo(
        name=run.path.name, path=run.path, dataset=spec.dataset.kind,
        epochs_done=summary.epochs_done, epochs=spec.train.epochs,
        status=run.status(summary), best=_best_text(summary),
        age_s=now - (summary.updated if summary.updated is not None else now),
        trial=_trial_of(summary.sweep),
    )


def _trial_of(block: dict) -> TrialInfo | None:
    if not block:
        return None
    value = block.get("value")
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return TrialInfo(clean(block["study"]), block["trial"], clean(str(block.get("state", ""))),
                     float(value) if ok else None, clean(str(block.get("metric", ""))),
                     block.get("direction") == "maximize")


@dataclass(frozen=True)
class SweepGroup:
    """A sweep's runs as ``ktui runs`` shows them: one line for the sweep, its trials under
    it (by trial number), placed where its newest trial is."""

    study: str
    runs: tuple[RunInfo, ...]

    @property
    def best(self) -> RunInfo | None:
        """The trial with the best value, in its study's direction."""
        done = [r for r in self.runs if r.trial is not None and r.trial.value is not None]
        if not done:
            return None
        return min(done, key=lambda r: (-1 if r.trial.maximize else 1) * r.trial.value)  # type: ignore[union-attr,operator]


def group_sweeps(runs: list[RunInfo]) -> list[RunInfo | SweepGroup]:
    """``runs`` (newest first) with each sweep's trials gathered into one :class:`SweepGroup`
    where its newest trial stands."""
    out: list[RunInfo | str] = []
    members: dict[str, list[RunInfo]] = {}
    for run in runs:
        if run.trial is None:
            out.append(run)
            continue
        if run.trial.study not in members:
            members[run.trial.study] = []
            out.append(run.trial.study)
        members[run.trial.study].append(run)
    return [SweepGroup(item, tuple(sorted(members[item], key=lambda r: r.trial.number)))  # type: ignore[union-attr]
            if isinstance(item, str) else item for item in out]


def format_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


def run_dirs(root: Path) -> list[Path]:
    """Run directories under ``root`` (those with a ``spec.toml``), newest first."""
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise RunError(f"{root}: not a directory (the runs root is a folder of runs)") from None
    except OSError as err:
        raise RunError(f"{root}: cannot list runs ({err.strerror or err})") from None
    found = []
    for path in entries:
        try:
            if not path.name.startswith(".") and (path / "spec.toml").is_file():
                found.append(path)
        except OSError:  # unreadable entry: `ktui runs` reports it; here it cannot match
            continue
    return sorted(found, key=lambda p: p.name, reverse=True)


def latest_run(root: Path) -> RunDir:
    """The most recently started run under ``root``."""
    dirs = run_dirs(root)
    if not dirs:
        raise RunError(f"no runs under {root}; `ktui train` records one "
                       "(or pass --runs-dir DIR)")
    return RunDir(dirs[0])


def find_run(root: Path, name: str | None = None,
             note: Callable[[str], None] | None = None) -> RunDir:
    """The run called ``name`` (a path, a name under ``root`` or a unique prefix of one, or
    an experiment's name: its latest run, which ``note`` is told); the latest run when
    ``name`` is None or empty. :class:`RunError` says why not, listing the candidates when a
    prefix matches several runs."""
    if not name:
        return latest_run(root)
    try:
        return RunDir.find(name, root)
    except RunError as err:
        missing = err
    dirs = run_dirs(root)
    matches = [p for p in dirs if p.name.startswith(name)]
    if len(matches) == 1:
        return RunDir(matches[0])
    if len(matches) > 1:
        shown = ", ".join(p.name for p in matches[:_LISTED])
        more = f" and {len(matches) - _LISTED} more" if len(matches) > _LISTED else ""
        raise RunError(f"{name!r} matches {len(matches)} runs: {shown}{more}; "
                       "give more of the name")
    named = sorted(p for p in dirs if experiment_of(p.name) == name)
    if named:
        if note is not None:
            runs = f"{len(named)} runs" if len(named) > 1 else "its only run"
            note(f"{clean(name)}: an experiment's name; showing the latest of {runs}, "
                 f"{named[-1].name}")
        return RunDir(named[-1])
    raise missing


def experiment_of(run_name: str) -> str:
    """``20261206-093000-linear-gd`` -> ``linear-gd``: the experiment a run folder is of."""
    parts = run_name.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() else ""
