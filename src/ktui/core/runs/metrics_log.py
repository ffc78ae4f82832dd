"""``metrics.csv``: one row per epoch, columns like Keras' ``CSVLogger``, written and read.

Reading is defensive: a torn last line (a crash) is not damage, and a damaged row is skipped
with one line saying why (``metrics.csv line 5: 7 fields, the header has 5``), never raised.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ktui.core.events import EpochDone
from ktui.core.text import brief, clean


@dataclass(frozen=True)
class MetricsLog:
    """``metrics.csv`` read back: its header, the rows that parse, one line per row that
    does not."""

    header: tuple[str, ...] = ()
    rows: tuple[dict[str, float], ...] = ()
    problems: tuple[str, ...] = ()


def epoch_row(event: EpochDone) -> dict[str, float]:
    """The CSVLogger-style row: epoch, loss, metrics, val_loss, val_metrics, and ``lr`` as
    Keras writes it (a log begun by an older version keeps its columns)."""
    row: dict[str, float] = {"epoch": event.epoch, "loss": event.loss}
    row.update(event.metrics)
    if event.val_loss is not None:
        row["val_loss"] = event.val_loss
    row.update({f"val_{k}": v for k, v in event.val_metrics.items()})
    if event.lr is not None:
        row["lr"] = event.lr
    return row


def csv_keys(row: dict[str, Any]) -> list[str]:
    """The columns of a new log: ``epoch``, then the row's other keys sorted."""
    return ["epoch", *sorted(k for k in row if k != "epoch")]


def csv_lines(rows: Sequence[dict[str, float]], keys: Sequence[str], header: bool) -> str:
    """``rows`` as CSV text under the columns ``keys`` (with the header line if asked)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(keys), lineterminator="\n",
                            extrasaction="ignore")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: int(row[k]) if k == "epoch" else row.get(k) for k in keys})
    return out.getvalue()


def csv_text(rows: Sequence[dict[str, float]], header: Sequence[str] | None = None) -> str:
    """A whole ``metrics.csv`` of ``rows`` (under ``header`` when it has an epoch column)."""
    if not rows:
        return ""
    keys = header if header and "epoch" in header else csv_keys(rows[0])
    return csv_lines(rows, keys, header=True)


def parse_metrics(text: str) -> MetricsLog:
    """``metrics.csv`` text as a :class:`MetricsLog`."""
    if text and not text.endswith("\n"):  # a torn last line from a crash: not damage
        text = text[: text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(text))
    header: list[str] = []
    rows: list[dict[str, float]] = []
    problems: list[str] = []
    try:
        for record in reader:
            if not record:
                continue
            if not header:
                header = record
                if "epoch" not in header:
                    return MetricsLog(tuple(header), (), ("metrics.csv: the header has no "
                                                          "epoch column",))
                continue
            row, problem = _metrics_row(header, record, reader.line_num)
            if problem:
                problems.append(problem)
            else:
                rows.append(row)
    except csv.Error as err:
        problems.append(f"metrics.csv line {reader.line_num}: not CSV ({err})")
    return MetricsLog(tuple(header), tuple(rows), tuple(problems))


def _metrics_row(header: list[str], record: list[str], line: int
                 ) -> tuple[dict[str, float], str]:
    where = f"metrics.csv line {line}"
    if len(record) != len(header):
        return {}, f"{where}: {len(record)} fields, the header has {len(header)}"
    row: dict[str, float] = {}
    for key, text in zip(header, record, strict=True):
        try:
            row[key] = float(text) if text else math.nan
        except ValueError:
            return {}, f"{where}: {clean(key)} is not a number ({clean(brief(text))})"
    epoch = row["epoch"]
    if not (math.isfinite(epoch) and epoch >= 1 and epoch == int(epoch)):
        return {}, f"{where}: epoch must be a whole number >= 1, got {clean(brief(epoch))}"
    return row, ""
