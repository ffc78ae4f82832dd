"""A study's leaderboard at one moment, as plain data: counts by state, the best trial, and
one row per trial (rank, state, value, parameters, epoch, its curve, its run). What the
sweep view draws and ``ktui sweep status --watch`` prints as lines, read from the one study
a viewer holds (:func:`board_of` reads its trials once; nothing here opens a storage).

:func:`changes` says which rows differ from the previous board (a pipe gets only those).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from ktui.core.sweep.report import STATES, param_text, ranked, state_of, value_text
from ktui.core.sweep.study import SweepConfig
from ktui.core.sweep.trial import REASON_ATTR, RUN_ATTR
from ktui.core.text import clean


@dataclass(frozen=True)
class TrialRow:
    """One trial as the board shows it. ``value`` is a complete trial's result, else the
    best of its curve so far; ``curve`` the reported values by epoch."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    epoch: int
    curve: tuple[tuple[int, float], ...] = ()
    rank: int | None = None
    run_dir: str | None = None
    reason: str = ""

    def key(self) -> tuple[Any, ...]:
        """What a change of is worth a new line in a pipe."""
        return self.state, self.epoch, self.value

    def to_dict(self) -> dict[str, Any]:
        """The row as ``--jsonl`` writes it (non-finite values as null)."""
        value = self.value if self.value is not None and math.isfinite(self.value) else None
        return {"trial": self.number, "state": self.state, "value": value, "rank": self.rank,
                "epoch": self.epoch, "params": self.params, "run": self.run_dir,
                "reason": self.reason}


@dataclass(frozen=True)
class Board:
    """The study as a viewer shows it; ``rows`` ranked first (best first), then the others
    by number."""

    study: str
    metric: str
    direction: str
    total: int
    param_names: tuple[str, ...]
    rows: tuple[TrialRow, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    #: Each trial's planned epochs (the base spec's).
    epochs: int = 0

    @property
    def best(self) -> TrialRow | None:
        return next((r for r in self.rows if r.rank == 1), None)

    @property
    def done(self) -> bool:
        """Nothing runs and nothing waits: the study has its trials (or was stopped)."""
        return not any(r.state in ("running", "waiting") for r in self.rows)

    def counts_text(self) -> str:
        """``5 of 8 trials: 3 complete, 1 pruned, 1 running``."""
        words = ", ".join(f"{n} {s}" for s, n in self.counts.items())
        return f"{len(self.rows)} of {self.total} trials" + (f": {words}" if words else "")

    def best_text(self) -> str:
        best = self.best
        if best is None:
            return "best: none yet"
        return (f"best: trial {best.number}, {self.metric} {value_text(best.value)}, "
                f"{param_text(best.params)}")

    def row(self, number: int) -> TrialRow | None:
        return next((r for r in self.rows if r.number == number), None)


def board_of(study: optuna.Study, config: SweepConfig, total: int | None = None) -> Board:
    """Read the study's trials once and make its board (``total``: the trials asked for, if
    trials were added since ``config`` was read)."""
    trials = study.get_trials(deepcopy=False)
    ranks = ranked(trials, config.direction)
    rank_of = {t.number: i + 1 for i, t in enumerate(ranks)}
    rest = sorted((t for t in trials if t.number not in rank_of), key=lambda t: t.number)
    rows = tuple(_row(t, rank_of.get(t.number), config.direction) for t in [*ranks, *rest])
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    order = {s: i for i, s in enumerate((*STATES, "diverged"))}
    counts = dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], 99)))
    names = tuple(p.split("=")[0] for p in config.params)
    epochs = config.spec.get("train", {}).get("epochs", 0)
    return Board(study.study_name, config.metric, config.direction,
                 config.trials if total is None else total, names, rows, counts,
                 epochs if isinstance(epochs, int) else 0)


def _row(t: FrozenTrial, rank: int | None, direction: str) -> TrialRow:
    curve = tuple((int(k), float(t.intermediate_values[k]))
                  for k in sorted(t.intermediate_values))
    if t.state == optuna.trial.TrialState.COMPLETE:
        value = t.value
    else:
        finite = [v for _, v in curve if math.isfinite(v)]
        pick = max if direction == "maximize" else min
        value = pick(finite) if finite else None
    run = t.user_attrs.get(RUN_ATTR)
    reason = t.user_attrs.get(REASON_ATTR, "")
    return TrialRow(t.number, state_of(t), value, dict(t.params),
                    max((e for e, _ in curve), default=0), curve, rank,
                    run if isinstance(run, str) else None,
                    clean(str(reason)) if reason else "")


def changes(old: Board | None, new: Board) -> list[TrialRow]:
    """The rows of ``new`` that are new or differ from ``old``'s (by number)."""
    before = {r.number: r.key() for r in old.rows} if old is not None else {}
    return sorted((r for r in new.rows if before.get(r.number) != r.key()),
                  key=lambda r: r.number)


def row_line(row: TrialRow, board: Board) -> str:
    """One plain line for a trial that is new or changed: ``trial 3 running: epoch 4,
    val_loss 0.1234; train.learning_rate=0.01``."""
    head = f"trial {row.number} {row.state}"
    if row.state == "running":
        head += f": epoch {row.epoch}"
        if row.value is not None:
            head += f", best {board.metric} {value_text(row.value)}"
    elif row.state in ("complete", "diverged"):
        head += f": {board.metric} {value_text(row.value)} after {row.epoch} epochs"
        head += f" (rank {row.rank})" if row.rank else ""
    elif row.reason:
        head += f": {row.reason[:160]}"
    return f"{head}; {param_text(row.params)}"
