"""``summary.json`` read back typed: every field checked, a damaged one described, not raised.

A field of the wrong type (``"epochs_done": "x"``, ``"best": [1]``) is left at its default
and described in :attr:`RunSummary.problems` (``summary.json: epochs_done must be a whole
number >= 0, got 'x'``), so a damaged run can be reported, or shown with a warning, and never
crashes a listing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ktui.core.events import json_safe
from ktui.core.text import brief, clean

SUMMARY_VERSION = 1
#: What ``summary.json`` may say; a ``running`` run nobody holds is shown as ``interrupted``.
STATUSES = ("running", "finished", "stopped", "failed")


def is_count(v: Any) -> bool:
    """A whole number >= 0 (not a bool)."""
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def is_number(v: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _row(v: Any) -> bool:
    return isinstance(v, dict) and all(
        isinstance(k, str) and (x is None or (isinstance(x, (int, float))
                                              and not isinstance(x, bool)))
        for k, x in v.items())


def _names(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _confusion(v: Any) -> bool:
    """``{"class_names": [...], "validation"|"test": {"epoch": n, "matrix": [[n, ...]]}}``."""
    if not isinstance(v, dict) or not _names(v.get("class_names", [])):
        return False
    for split, part in v.items():
        if split == "class_names":
            continue
        if split not in ("validation", "test") or not isinstance(part, dict):
            return False
        matrix = part.get("matrix")
        if not (is_count(part.get("epoch")) and isinstance(matrix, list)
                and all(isinstance(r, list) and len(r) == len(matrix)
                        and all(is_count(x) for x in r) for r in matrix)):
            return False
    return True


def _sweep(v: Any) -> bool:
    """``{"study": ..., "trial": n, "params": {...}[, "state": ..., "value": x]}``: the run is
    a trial of a sweep (:mod:`ktui.core.sweep`)."""
    return (isinstance(v, dict) and isinstance(v.get("study"), str)
            and is_count(v.get("trial")) and isinstance(v.get("params"), dict))


def _data_source(v: Any) -> bool:
    """``{"path": ..., "size": n, "mtime": t, "sha256": "..."[, "files": n]}``: a user's data
    (:class:`ktui.core.datasets.source.DataSource`)."""
    return (isinstance(v, dict) and isinstance(v.get("path"), str)
            and isinstance(v.get("sha256"), str) and is_count(v.get("size"))
            and is_number(v.get("mtime")) and is_count(v.get("files", 1)))


def _xla(v: Any) -> bool:
    """``{"on": bool, "reason": "..."}``: whether the step ran compiled with XLA, and why."""
    return (isinstance(v, dict) and isinstance(v.get("on"), bool)
            and isinstance(v.get("reason"), str))


#: summary.json field -> (check, what it must be). ``null`` always means "not known".
_SUMMARY_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "status": (lambda v: v in STATUSES, "one of " + ", ".join(STATUSES)),
    "epochs_done": (is_count, "a whole number >= 0"),
    "epochs": (is_count, "a whole number >= 0"),
    "summary_version": (is_count, "a whole number >= 0"),
    "pid": (is_count, "a process id (a whole number)"),
    **{k: (lambda v: isinstance(v, str), "text")
       for k in ("name", "task", "monitor", "reason", "failure", "host")},
    "devices": (_names, "a list of device names"),
    **{k: (_row, "an object of numbers") for k in ("final", "best", "test")},
    **{k: (is_number, "a number") for k in ("seconds", "wall_seconds", "started", "updated",
                                             "ended")},
    "confusion": (_confusion, "confusion matrices by split with their class names"),
    "data": (_data_source, "the data's path, size, mtime and sha256"),
    "sweep": (_sweep, "the sweep's study, trial number and parameters"),
    "xla": (_xla, "whether the step ran with XLA, and why"),
}


def _floats(row: dict[str, Any] | None) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in (row or {}).items()}


@dataclass(frozen=True)
class RunSummary:
    """``summary.json`` with every field checked and typed; what every reader should use."""

    status: str = "unknown"
    epochs_done: int = 0
    epochs: int | None = None
    name: str = ""
    task: str = ""
    monitor: str = "val_loss"
    devices: tuple[str, ...] = ()
    final: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    #: Training time: the trainer's own clock from its first step to its end (evaluation
    #: included, pauses not), summed over a resumed run's sessions; what every view shows.
    seconds: float = 0.0
    #: Wall time of the processes that trained it: data, model, compilation included.
    wall_seconds: float = 0.0
    reason: str = ""
    failure: str = ""
    started: float | None = None
    updated: float | None = None
    ended: float | None = None
    pid: int | None = None
    host: str = ""
    #: Where a user's data came from (path, size, mtime, sha256); empty for built-in data.
    data: dict[str, Any] = field(default_factory=dict)
    #: The sweep this run is a trial of (study, trial, params); empty for other runs.
    sweep: dict[str, Any] = field(default_factory=dict)
    #: Whether the step ran compiled with XLA (``on``) and why (``reason``): the setting, or
    #: what ``auto`` picked; empty until known (``auto`` before its pick, older runs).
    xla: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        good, problems = check_summary(data)
        values: dict[str, Any] = {k: v for k, v in good.items() if k in _SUMMARY_ATTRS}
        for key in ("final", "best", "test"):
            if key in values:
                values[key] = _floats(values[key])
        if "devices" in values:
            values["devices"] = tuple(values["devices"])
        for key in ("seconds", "wall_seconds"):
            if key in values:
                values[key] = float(values[key])
        return cls(**values, problems=tuple(problems))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as ``null``), without ``problems`` and without the fields the file
        did not have (empty text, no number): what a display can print as it is."""
        data = asdict(self)
        data.pop("problems")
        data["devices"] = list(self.devices)
        keep = ("status", "epochs_done")
        return json_safe({k: v for k, v in data.items()
                          if k in keep or v not in (None, "", [], {})})


_SUMMARY_ATTRS = set(RunSummary.__dataclass_fields__) - {"problems"}


def check_summary(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields of ``data`` that are well formed, and one line per field that is not."""
    good: dict[str, Any] = {}
    problems: list[str] = []
    if "status" not in data:
        problems.append("summary.json: no status")
    for key, value in data.items():
        check = _SUMMARY_FIELDS.get(key)
        if check is None or value is None:
            continue  # unknown fields (a newer ktui) and nulls are not damage
        ok, must = check
        if ok(value):
            good[key] = value
        else:
            problems.append(f"summary.json: {key} must be {must}, got {clean(brief(value))}")
    return good, problems
