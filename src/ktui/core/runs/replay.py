"""A past run read back as the events it logged, tolerantly, for the views to replay.

A run directory may be half-written (a crash), from an older ktui, or damaged by hand. Nothing
here raises for such a run: unreadable lines are skipped and counted, ``metrics.csv`` stands
in for a missing ``events.jsonl``, and ``summary.json`` supplies the ending when the stream has
none. The events are decoded by the one codec (:func:`ktui.core.events.from_dict`); a log
older than ``wb_model`` gets it decided here, once, from its first weights. Pure Python (no
TensorFlow, no Textual), so opening a run is instant.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from ktui.core.events import (
    EpochDone,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    from_dict,
    wb_model_of,
)
from ktui.core.events.insight import Confusion, Predictions, SampleSet
from ktui.core.runs.metrics_log import epoch_row
from ktui.core.runs.rundir import RunDir
from ktui.core.runs.summary import RunSummary
from ktui.core.spec import ExperimentSpec

#: Reading stops here: a runaway log must not freeze the UI (the curves are long done by then).
MAX_LINES = 200_000


#: The events a past run's view replays (pauses and the like are read, then left out).
REPLAYED = (RunStarted, StepDone, EpochDone, SampleSet, Predictions, Confusion, RunFinished,
            RunFailed)
#: Those replayed in their logged order between the start and the end.
_MIDDLE = (StepDone, EpochDone, SampleSet, Predictions, Confusion)


def read_events(run: RunDir) -> tuple[list[Event], int]:
    """The replayed events of ``events.jsonl`` and how many lines could not be read."""
    events: list[Event] = []
    bad = 0
    for _, data in run.event_lines(limit=MAX_LINES):
        event = from_dict(data)
        if event is None:
            bad += 1
        elif isinstance(event, REPLAYED):
            events.append(event)
    return events, bad


def _rows(run: RunDir) -> list[dict[str, float]]:
    try:
        rows = run.epochs_logged()
    except Exception:  # noqa: BLE001 - a damaged metrics.csv is no rows, never a crash
        return []
    # Only numbers under string keys (csv puts a row's extra fields under the key None).
    return [{k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, float)}
            for row in rows if isinstance(row, dict)]


def epoch_rows(run: RunDir) -> list[dict[str, float]]:
    """A run's per-epoch rows (metrics.csv, else its epoch events), as ``metrics.csv`` has
    them; never raises (a run that cannot be read has no rows)."""
    try:
        rows = _rows(run)
        if rows:
            return rows
        events, _ = read_events(run)
        return [{k: float(v) for k, v in epoch_row(e).items()}
                for e in events if isinstance(e, EpochDone)]
    except Exception:  # noqa: BLE001
        return []


def monitored_curve(run: RunDir) -> list[float]:
    """The run's monitored metric (``summary.json``'s ``monitor``: ``val_loss`` unless early
    stopping watches another) per epoch, for a sparkline; never raises."""
    try:
        monitor = run.read_summary().monitor
    except Exception:  # noqa: BLE001 - a summary mid-write: the default monitor
        monitor = "val_loss"
    rows = epoch_rows(run)
    key = monitor if any(monitor in r for r in rows) else monitor.removeprefix("val_")
    return [r[key] for r in rows if key in r]


def dataset_kind(run: RunDir) -> str:
    """The kind of data the run trained on; "" when its spec cannot be read."""
    try:
        return run.spec(lenient_layers=True).dataset.kind
    except Exception:  # noqa: BLE001 - unknown dataset
        return ""


def _epoch_from_row(row: dict[str, float], epochs: int) -> EpochDone:
    metrics = {k: v for k, v in row.items()
               if k not in ("epoch", "loss", "val_loss") and not k.startswith("val_")}
    val = {k[4:]: v for k, v in row.items() if k.startswith("val_") and k != "val_loss"}
    val_loss = row.get("val_loss")
    epoch = row.get("epoch", math.nan)
    return EpochDone(epoch=int(epoch) if math.isfinite(epoch) else 0, epochs=epochs,
                     loss=row.get("loss", math.nan),
                     val_loss=None if val_loss is None or math.isnan(val_loss) else val_loss,
                     metrics=metrics, val_metrics=val, weights=(), seconds=0.0,
                     samples_per_s=0.0)


def _bare_start(name: str, epochs: int, spec: ExperimentSpec | None = None) -> RunStarted:
    """A RunStarted for a run whose own was not logged: what its spec says (sizes unknown)."""
    truth = spec.dataset.true_params() if spec is not None else None
    return RunStarted(
        name=name, devices=(), layers=(), total_params=0, trainable_params=0, epochs=epochs,
        start_epoch=0, steps_per_epoch=0, batch_size=0, train_samples=0, val_samples=0,
        test_samples=0, task=spec.task if spec is not None else "",
        metric_names=tuple(spec.train.metrics) if spec is not None else (),
        true_weights=truth[0] if truth else (), true_bias=truth[1] if truth else None)


@dataclass
class Recorded:
    """What the read-only training view shows for one run directory."""

    run: RunDir
    spec: ExperimentSpec | None
    #: summary.json, typed (damaged fields at their defaults, described in ``notes``).
    summary: RunSummary
    status: str
    #: Replayable: one RunStarted first, then steps and epochs, then at most one final event.
    events: list[Event] = field(default_factory=list)
    #: Things that could not be read, said plainly (shown under the run, never raised).
    notes: list[str] = field(default_factory=list)
    #: Whether the run's own RunStarted was read (else it was rebuilt from the spec, and
    #: sizes such as the test set's are not known).
    streamed: bool = True


def _first_line(err: BaseException) -> str:
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__


def load_recorded(run: RunDir) -> Recorded:
    """Everything needed to redraw a past run's curves; never raises for a damaged run."""
    try:
        return _load_recorded(run)
    except Exception as err:  # noqa: BLE001 - the last guard: an empty view with the reason
        return Recorded(run=run, spec=None, summary=RunSummary(), status="unknown",
                        events=[_bare_start(run.name, 0)],
                        notes=[f"could not be read: {type(err).__name__}: {_first_line(err)}"],
                        streamed=False)


def _load_recorded(run: RunDir) -> Recorded:
    notes: list[str] = []
    try:
        spec: ExperimentSpec | None = run.spec(lenient_layers=True)
    except Exception as err:  # noqa: BLE001 - SpecError, OSError, bytes that are not text...
        spec = None
        notes.append(f"spec.toml unreadable: {_first_line(err)}")
    try:
        summary = run.read_summary()
        status = run.status(summary)
        notes += summary.problems
    except Exception as err:  # noqa: BLE001 - RunError (missing, not JSON), OSError...
        summary, status = RunSummary(), "unknown"
        notes.append(_first_line(err))
    events, bad = read_events(run)
    if bad:
        notes.append(f"events.jsonl: {bad} line{'s' * (bad != 1)} could not be read")
    started = next((e for e in events if isinstance(e, RunStarted)), None)
    epochs = [e for e in events if isinstance(e, EpochDone)]
    final = next((e for e in reversed(events) if isinstance(e, (RunFinished, RunFailed))), None)
    total = started.epochs if started else (spec.train.epochs if spec else 0)
    if not epochs:
        rows = _rows(run)
        try:
            notes += run.read_metrics().problems[:2]
        except Exception:  # noqa: BLE001 - the rows above are what could be read
            pass
        if rows:  # no usable stream: the CSV log has the same per-epoch numbers
            epochs = [_epoch_from_row(r, total) for r in rows]
    streamed = started is not None
    if started is None:
        started = _bare_start(run.name, spec.train.epochs if spec else max(total, len(epochs)),
                              spec)
    if final is None:
        final = _final_from_summary(summary, status, len(epochs))
    # Resumed runs log a second run_started: keep the first (the curves go on) with the
    # latest total, and replay the rest in order.
    latest_total = max([e.epochs for e in events if isinstance(e, RunStarted)] + [started.epochs])
    started = dataclasses.replace(started, epochs=max(latest_total, len(epochs)),
                                  wb_model=_wb_model(started, epochs))
    replay: list[Event] = [started]
    if any(isinstance(e, EpochDone) for e in events):
        # The logged order of steps and epochs (the step curve sits under the epoch curves),
        # and of the insight pages' events (the first predictions are the earliest picture).
        replay += [e for e in events if isinstance(e, _MIDDLE)]
    else:
        replay += epochs
    if final is not None:
        replay.append(final)
    return Recorded(run=run, spec=spec, summary=summary, status=status, events=replay,
                    notes=notes, streamed=streamed)


def _wb_model(started: RunStarted, epochs: list[EpochDone]) -> bool | None:
    """The run's own answer; for a log older than it (and than initial weights), decided
    from the first epoch that has weights."""
    if started.wb_model is not None:
        return started.wb_model
    first = next((e.weights for e in epochs if e.weights), None)
    return wb_model_of(first) if first else None


def _final_from_summary(summary: RunSummary, status: str,
                        epochs_done: int) -> RunFinished | RunFailed | None:
    if status in ("finished", "stopped"):
        reason = summary.reason if summary.reason != status else ""  # "finished": no rule
        return RunFinished(status, epochs_done, dict(summary.test), summary.seconds,  # type: ignore[arg-type]
                           reason=reason)
    if status == "failed":
        kind = summary.failure
        kind = kind if kind in ("nan", "data", "spec", "io", "resources", "error") else "error"
        return RunFailed(kind, summary.reason or "the run failed")  # type: ignore[arg-type]
    return None  # running, interrupted or unknown: the view says so
