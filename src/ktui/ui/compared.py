"""Past runs overlaid on the live charts: their per-epoch rows and a short legend label.

Outside the charts package: the app keeps the runs marked for comparison from its start, and
importing ``ktui.ui.widgets.charts`` imports plotext and every chart (~55 ms the first frame
would wait for)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ktui.core.history import finite
from ktui.core.runs.replay import dataset_kind, epoch_rows
from ktui.core.runs.rundir import RunDir


@dataclass(frozen=True)
class ComparedRun:
    """A past run overlaid on the charts: its short label, its dataset, its per-epoch rows."""

    name: str
    label: str
    rows: tuple[dict[str, float], ...] = field(default=())
    #: ``linear`` or ``fashion_mnist`` ("" when its spec could not be read): runs of another
    #: dataset are not overlaid (their losses would only stretch the axis).
    dataset: str = ""

    def curve(self, key: str) -> tuple[list[float], list[float]]:
        """``val_<key>`` per epoch when the run has it, else ``<key>`` (finite points only)."""
        xs, ys, _ = self.curve_of(key)
        return xs, ys

    def curve_of(self, key: str) -> tuple[list[float], list[float], str]:
        """As :meth:`curve`, and which one it is: ``"val"`` or ``"train"`` ("" when none)."""
        for name, which in ((f"val_{key}", "val"), (key, "train")):
            xs, ys = finite([r.get("epoch", math.nan) for r in self.rows],
                            [r.get(name, math.nan) for r in self.rows])
            if xs:
                return xs, ys, which
        return [], [], ""


_STAMPED = re.compile(r"\d{8}-(\d{6})-(.+)")


def short_label(run_name: str, width: int = 18) -> str:
    """A legend label for a run: ``170000 linear-gd`` for ``20260107-170000-linear-gd`` (the
    time tells apart runs of one experiment, the name the rest), else its last characters."""
    m = _STAMPED.fullmatch(run_name)
    if not m:
        return run_name if len(run_name) <= width else run_name[-width:]
    label = f"{m[1]} {m[2]}"
    return label if len(label) <= width else label[: width - 1] + "…"


def compared_run(run: RunDir) -> ComparedRun:
    """A past run's per-epoch rows and dataset for the overlay (metrics.csv, else its epoch
    events); never raises (a run that cannot be read has no rows)."""
    return ComparedRun(run.name, short_label(run.name), tuple(epoch_rows(run)),
                       dataset=dataset_kind(run))
