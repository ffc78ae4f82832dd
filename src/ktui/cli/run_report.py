"""``ktui runs show``: one run's summary and per-epoch table, formatted for people.

``summary.json`` stores unix timestamps and raw floats (``--json`` prints it as is); this
turns them into local date-times with an age, and numbers with one format per column so the
table's digits line up. Every value is treated as untrusted: a damaged or hand-edited file
gives odd text, never an exception, and user strings are cleaned of terminal escapes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ktui.core.runs.listing import format_age
from ktui.core.text import clean, metric_text

#: Fixed notation for values in this range (and 0); scientific outside it.
_FIXED_MIN, _FIXED_MAX = 1e-3, 1e5


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: Any) -> str:
    """One value as every view writes it (:func:`ktui.core.text.metric_text`), or text."""
    if not _is_number(value):
        return "-" if value is None else clean(str(value))
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return metric_text(value)


def when(timestamp: Any, now: float) -> str:
    """``2026-11-23 09:11:07 (3h ago)`` in local time, or ``-``."""
    if not _is_number(timestamp) or not math.isfinite(timestamp) or timestamp <= 0:
        return "-"
    try:
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return "-"
    return f"{text} ({format_age(max(now - timestamp, 0.0))})"


def started_at(name: str, summary: Mapping[str, Any]) -> float | None:
    """When the run started: ``summary["started"]`` if recorded, else the time in its name."""
    if _is_number(summary.get("started")):
        return float(summary["started"])
    try:
        return time.mktime(time.strptime(name[:15], "%Y%m%d-%H%M%S"))
    except (ValueError, OverflowError):
        return None


def metric_row(row: Any) -> str:
    """``epoch 10  loss 1.1694  val_loss 1.2280 ...`` from a ``best``/``final``/``test`` dict."""
    if not isinstance(row, Mapping) or not row:
        return "-"
    parts = []
    for key, value in row.items():
        if key == "epoch" and _is_number(value) and math.isfinite(value):
            parts.append(f"epoch {int(value)}")
        else:
            parts.append(f"{clean(str(key))} {number(value)}")
    return "  ".join(parts)


def durations(summary: Mapping[str, Any]) -> str:
    """``3.1 s training, 7.9 s wall``: the trainer's own time (what the views show), then the
    wall time of the processes (data, model and compilation included); ``-`` for neither."""
    parts = [f"{value:.1f} s {label}" for key, label in (("seconds", "training"),
                                                         ("wall_seconds", "wall"))
             if _is_number(value := summary.get(key)) and math.isfinite(value) and value > 0]
    return ", ".join(parts) or "-"


def summary_lines(name: str, path: str, summary: Mapping[str, Any], status: str,
                  dataset: str, epochs_total: Any, now: float) -> list[str]:
    """The summary as ``label  value`` lines."""
    done = summary.get("epochs_done")
    epochs = f"{done if _is_number(done) else '-'}/{epochs_total if epochs_total else '-'}"
    reason = summary.get("reason")
    fields = [
        ("run", clean(name)),
        ("path", clean(path)),
        ("status", clean(status)),
        ("dataset", clean(dataset)),
        ("epochs", epochs),
        ("started", when(started_at(name, summary), now)),
        ("updated", when(summary.get("updated"), now)),
        ("time", durations(summary)),
        ("best", metric_row(summary.get("best"))),
        ("final", metric_row(summary.get("final"))),
        ("test", metric_row(summary.get("test"))),
    ]
    if reason is not None and reason != status:
        fields.append(("reason", clean(str(reason))))
    data = summary.get("data")
    if isinstance(data, Mapping) and data.get("path"):  # a user's data: where it came from
        size, sha = data.get("size"), str(data.get("sha256", ""))
        fields.append(("data", clean(f"{data['path']} ({size:,} bytes, sha256 {sha[:12]}…)"
                                     if isinstance(size, int) else str(data["path"]))))
    xla = summary.get("xla")
    if isinstance(xla, Mapping) and isinstance(xla.get("on"), bool):  # the step's compiler
        fields.append(("xla", clean(f"{'on' if xla['on'] else 'off'} "
                                    f"({xla.get('reason', '')})")))
    return [f"{label:<8} {value}" for label, value in fields]


def _column_format(values: Sequence[Any]) -> str:
    finite = [abs(float(v)) for v in values if _is_number(v) and math.isfinite(v) and v != 0]
    if all(_FIXED_MIN <= v < _FIXED_MAX for v in finite):
        return ".4f"
    return ".3e"


def _cell(value: Any, fmt: str, is_epoch: bool) -> str:
    if not _is_number(value):
        return "-" if value is None else clean(str(value))
    if not math.isfinite(value):
        return str(float(value))
    if is_epoch:
        return str(int(value))
    return format(float(value), fmt)


def epoch_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The per-epoch metrics as an aligned table: epoch as an integer, every other column in
    one notation (4 decimals, or scientific when a value needs it) and one width."""
    if not rows:
        return []
    keys = list(rows[0])
    columns = []
    for key in keys:
        values = [row.get(key) for row in rows]
        fmt = _column_format(values)
        cells = [_cell(v, fmt, key == "epoch") for v in values]
        header = clean(str(key))
        width = max(len(header), *(len(c) for c in cells))
        columns.append([header.rjust(width), *(c.rjust(width) for c in cells)])
    return ["  ".join(parts).rstrip() for parts in zip(*columns, strict=True)]
