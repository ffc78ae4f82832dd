"""A study in plain lines: counts by state, the best so far, a table of its trials (rank,
state, value, parameters, epochs, a sparkline of the monitored value, the run), and one line
per trial as it ends. What ``ktui sweep``, ``sweep status`` and ``sweep best`` print.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from ktui.core.sweep.study import SweepConfig
from ktui.core.sweep.trial import REASON_ATTR, RUN_ATTR
from ktui.core.text import clean, metric_text, sparkline

STATES = ("complete", "pruned", "running", "failed", "waiting")


def state_of(t: FrozenTrial) -> str:
    if t.state == TrialState.COMPLETE and t.value is not None and not math.isfinite(t.value):
        return "diverged"
    return {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
            TrialState.RUNNING: "running", TrialState.FAIL: "failed",
            TrialState.WAITING: "waiting"}.get(t.state, t.state.name.lower())


def value_text(value: float | None) -> str:
    if value is None:
        return "-"
    return metric_text(value) if math.isfinite(value) else "inf" if value > 0 else "-inf"


def param_text(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in params.items())


def _curve(t: FrozenTrial) -> list[float]:
    return [t.intermediate_values[k] for k in sorted(t.intermediate_values)]


def counts_line(trials: list[FrozenTrial], total: int) -> str:
    by: dict[str, int] = {}
    for t in trials:
        by[state_of(t)] = by.get(state_of(t), 0) + 1
    words = ", ".join(f"{n} {s}" for s, n in sorted(by.items(), key=lambda kv: (
        STATES.index(kv[0]) if kv[0] in STATES else 9)))
    return f"{len(trials)} of {total} trials" + (f": {words}" if words else "")


def ranked(trials: list[FrozenTrial], direction: str) -> list[FrozenTrial]:
    """Completed trials with a finite value, best first."""
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None
            and math.isfinite(t.value)]
    return sorted(done, key=lambda t: -t.value if direction == "maximize" else t.value)


def best_line(trials: list[FrozenTrial], config: SweepConfig) -> str:
    ranks = ranked(trials, config.direction)
    if not ranks:
        return "best: none yet"
    t = ranks[0]
    return (f"best: trial {t.number}, {config.metric} {value_text(t.value)}, "
            f"{param_text(t.params)}" + _run_words(t))


def _run_words(t: FrozenTrial) -> str:
    run = t.user_attrs.get(RUN_ATTR)
    return f" (run {clean(Path(run).name)})" if isinstance(run, str) else ""


def trial_line(t: FrozenTrial, config: SweepConfig) -> str:
    """One line for a trial that ended."""
    state = state_of(t)
    epochs = max(t.intermediate_values, default=0)
    head = f"trial {t.number} {state}"
    if state == "complete":
        head += f": {config.metric} {value_text(t.value)} after {epochs} epochs"
    elif state == "pruned":
        head += "" if t.user_attrs.get(REASON_ATTR) else f" at epoch {epochs}"
        reason = t.user_attrs.get(REASON_ATTR, "")
        head = f"trial {t.number} {clean(str(reason))}" if reason else head
    elif t.user_attrs.get(REASON_ATTR):
        head += f": {clean(str(t.user_attrs[REASON_ATTR]))[:160]}"
    return f"{head}; {param_text(t.params)}" + _run_words(t)


def table(trials: list[FrozenTrial], config: SweepConfig) -> list[str]:
    """Rank, trial, state, value, epochs, parameters, sparkline, run: ranked trials first,
    then the others by number."""
    ranks = ranked(trials, config.direction)
    rank_of = {t.number: i + 1 for i, t in enumerate(ranks)}
    rest = sorted((t for t in trials if t.number not in rank_of), key=lambda t: t.number)
    names = [p.split("=")[0] for p in config.params]
    head = ["rank", "trial", "state", config.metric, "epoch", *names, "curve", "run"]
    rows = [head]
    for t in [*ranks, *rest]:
        value = t.value if t.state == TrialState.COMPLETE else (
            _best_of(_curve(t), config.direction) if t.intermediate_values else None)
        run = t.user_attrs.get(RUN_ATTR)
        rows.append([str(rank_of.get(t.number, "-")), str(t.number), state_of(t),
                     value_text(value), str(max(t.intermediate_values, default=0)),
                     *[_param(t.params.get(n)) for n in names], sparkline(_curve(t)) or "-",
                     clean(Path(run).name) if isinstance(run, str) else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def _best_of(values: list[float], direction: str) -> float | None:
    vals = [v for v in values if math.isfinite(v)]
    if not vals:
        return None
    return max(vals) if direction == "maximize" else min(vals)


def _param(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def status_lines(study: optuna.Study, config: SweepConfig, where: str) -> list[str]:
    trials = study.get_trials(deepcopy=False)
    return [f"study {clean(study.study_name)} ({clean(where)}): "
            f"{counts_line(trials, config.trials)}", best_line(trials, config), "",
            *table(trials, config)]
