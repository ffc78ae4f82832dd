"""Past runs read back for the UI: the event stream of a run directory, rebuilt tolerantly.

A run directory may be half-written (a crash), from an older ktui, or damaged by hand. Nothing
here raises for such a run: unreadable lines are skipped and counted, ``metrics.csv`` stands
in for a missing ``events.jsonl``, and ``summary.json`` supplies the ending when the stream has
none. Pure Python (no TensorFlow, no Textual), so opening a run is instant.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from ktui.core.events import (
    EpochDone,
    Event,
    LayerSummary,
    LayerWeights,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    TensorStats,
)
from ktui.core.runs import RunDir, RunError
from ktui.core.spec import ExperimentSpec, LinearData, SpecError
from ktui.ui.widgets.charts import ComparedRun, short_label

#: Reading stops here: a runaway log must not freeze the UI (the curves are long done by then).
MAX_LINES = 200_000


def _num(value: Any) -> float:
    """A logged number; ``null`` (how non-finite values are written) becomes NaN."""
    return float(value) if isinstance(value, (int, float)) else math.nan


def _numbers(data: Any) -> dict[str, float]:
    return {str(k): _num(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _stats(data: Any) -> TensorStats | None:
    if not isinstance(data, dict):
        return None
    return TensorStats(size=int(data.get("size", 0)), mean=_num(data.get("mean")),
                       std=_num(data.get("std")), norm=_num(data.get("norm")),
                       min=_num(data.get("min")), max=_num(data.get("max")),
                       values=tuple(_num(v) for v in data.get("values") or ()))


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)} - {"event"}
    return {k: v for k, v in data.items() if k in names}


def event_from_dict(data: dict[str, Any]) -> Event | None:
    """One ``--jsonl`` object back as an event; None for kinds the charts do not need or for
    an object that does not fit (a malformed line is skipped, never fatal)."""
    kind = data.get("event")
    try:
        if kind == "run_started":
            d = _fields(RunStarted, data)
            d["devices"] = tuple(d.get("devices") or ())
            d["layers"] = tuple(
                LayerSummary(**{**layer, "output_shape": tuple(layer.get("output_shape") or ())})
                for layer in d.get("layers") or ())
            d["metric_names"] = tuple(d.get("metric_names") or ())
            d["true_weights"] = tuple(_num(w) for w in d.get("true_weights") or ())
            if d.get("true_bias") is not None:
                d["true_bias"] = _num(d["true_bias"])
            return RunStarted(**d)
        if kind == "step_done":
            d = _fields(StepDone, data)
            d["loss"], d["steps_per_s"] = _num(d.get("loss")), _num(d.get("steps_per_s"))
            return StepDone(**d)
        if kind == "epoch_done":
            d = _fields(EpochDone, data)
            d["loss"] = _num(d.get("loss"))
            d["val_loss"] = None if d.get("val_loss") is None else _num(d["val_loss"])
            d["metrics"], d["val_metrics"] = _numbers(d.get("metrics")), \
                _numbers(d.get("val_metrics"))
            d["weights"] = tuple(
                LayerWeights(str(w.get("layer", "")), _stats(w.get("kernel")),
                             _stats(w.get("bias")))
                for w in d.get("weights") or () if isinstance(w, dict))
            d["seconds"], d["samples_per_s"] = _num(d.get("seconds")), \
                _num(d.get("samples_per_s"))
            return EpochDone(**d)
        if kind == "run_finished":
            d = _fields(RunFinished, data)
            d["test"] = _numbers(d.get("test"))
            return RunFinished(**d)
        if kind == "run_failed":
            return RunFailed(**_fields(RunFailed, data))
    except (TypeError, ValueError, AttributeError):
        return None
    return None


def read_events(run: RunDir) -> tuple[list[Event], int]:
    """The events of ``events.jsonl`` and how many lines could not be read."""
    events: list[Event] = []
    bad = 0
    try:
        with open(run.events_file, encoding="utf-8", errors="replace") as f:
            for i, line in enumerate(f):
                if i >= MAX_LINES:
                    break
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if not isinstance(data, dict):
                    bad += 1
                    continue
                event = event_from_dict(data)
                if event is not None:
                    events.append(event)
                elif data.get("event") not in ("paused", "resumed"):
                    bad += 1
    except OSError:
        pass
    return events, bad


def _rows(run: RunDir) -> list[dict[str, float]]:
    try:
        return run.epochs_logged()
    except (OSError, ValueError, UnicodeDecodeError):
        return []


def _epoch_from_row(row: dict[str, float], epochs: int) -> EpochDone:
    metrics = {k: v for k, v in row.items()
               if k not in ("epoch", "loss", "val_loss") and not k.startswith("val_")}
    val = {k[4:]: v for k, v in row.items() if k.startswith("val_") and k != "val_loss"}
    val_loss = row.get("val_loss")
    return EpochDone(epoch=int(row.get("epoch", 0)), epochs=epochs, loss=row.get("loss", math.nan),
                     val_loss=None if val_loss is None or math.isnan(val_loss) else val_loss,
                     metrics=metrics, val_metrics=val, weights=(), seconds=0.0,
                     samples_per_s=0.0)


def _started_from_spec(spec: ExperimentSpec, name: str) -> RunStarted:
    d = spec.dataset
    linear = isinstance(d, LinearData) and not d.x
    return RunStarted(
        name=name, devices=(), layers=(), total_params=0, trainable_params=0,
        epochs=spec.train.epochs, start_epoch=0, steps_per_epoch=0, batch_size=0,
        train_samples=0, val_samples=0, test_samples=0, task=spec.task,
        metric_names=tuple(spec.train.metrics),
        true_weights=tuple(d.weights()) if linear else (),
        true_bias=d.b if linear else None)


@dataclass
class Recorded:
    """What the read-only training view shows for one run directory."""

    run: RunDir
    spec: ExperimentSpec | None
    summary: dict[str, Any]
    status: str
    #: Replayable: one RunStarted first, then steps and epochs, then at most one final event.
    events: list[Event] = field(default_factory=list)
    #: Things that could not be read, said plainly (shown under the run, never raised).
    notes: list[str] = field(default_factory=list)


def load_recorded(run: RunDir) -> Recorded:
    """Everything needed to redraw a past run's curves; never raises for a damaged run."""
    notes: list[str] = []
    try:
        spec: ExperimentSpec | None = run.spec()
    except (SpecError, OSError) as err:
        spec = None
        notes.append(f"spec.toml unreadable: {str(err).splitlines()[0]}")
    try:
        summary = run.summary()
        status = run.status()
    except (RunError, OSError) as err:
        summary, status = {}, "unknown"
        notes.append(str(err).splitlines()[0])
    events, bad = read_events(run)
    if bad:
        notes.append(f"events.jsonl: {bad} line{'s' * (bad != 1)} could not be read")
    started = next((e for e in events if isinstance(e, RunStarted)), None)
    epochs = [e for e in events if isinstance(e, EpochDone)]
    final = next((e for e in reversed(events) if isinstance(e, (RunFinished, RunFailed))), None)
    total = started.epochs if started else (spec.train.epochs if spec else 0)
    if not epochs:
        rows = _rows(run)
        if rows:  # no usable stream: the CSV log has the same per-epoch numbers
            epochs = [_epoch_from_row(r, total) for r in rows]
    if started is None:
        if spec is not None:
            started = _started_from_spec(spec, run.name)
        else:
            started = RunStarted(name=run.name, devices=(), layers=(), total_params=0,
                                 trainable_params=0, epochs=max(total, len(epochs)),
                                 start_epoch=0, steps_per_epoch=0, batch_size=0,
                                 train_samples=0, val_samples=0, test_samples=0, task="",
                                 metric_names=())
    if final is None:
        final = _final_from_summary(summary, status, len(epochs))
    # Resumed runs log a second run_started: keep the first (the curves go on) with the
    # latest total, and replay the rest in order.
    latest_total = max([e.epochs for e in events if isinstance(e, RunStarted)] + [started.epochs])
    started = dataclasses.replace(started, epochs=max(latest_total, len(epochs)))
    replay: list[Event] = [started]
    if any(isinstance(e, EpochDone) for e in events):
        # The logged order of steps and epochs (the step curve sits under the epoch curves).
        replay += [e for e in events if isinstance(e, (StepDone, EpochDone))]
    else:
        replay += epochs
    if final is not None:
        replay.append(final)
    return Recorded(run=run, spec=spec, summary=summary, status=status, events=replay,
                    notes=notes)


def _final_from_summary(summary: dict[str, Any], status: str,
                        epochs_done: int) -> RunFinished | RunFailed | None:
    seconds = summary.get("seconds")
    seconds = float(seconds) if isinstance(seconds, (int, float)) else 0.0
    if status in ("finished", "stopped"):
        return RunFinished(status, epochs_done, _numbers(summary.get("test")), seconds)  # type: ignore[arg-type]
    if status == "failed":
        kind = summary.get("failure")
        kind = kind if kind in ("nan", "data", "spec", "error") else "error"
        return RunFailed(kind, str(summary.get("reason") or "the run failed"))
    return None  # running, interrupted or unknown: the view says so


def compared_run(run: RunDir) -> ComparedRun:
    """A run's per-epoch rows for the overlay (metrics.csv, else its epoch events)."""
    rows = _rows(run)
    if not rows:
        events, _ = read_events(run)
        rows = []
        for e in events:
            if isinstance(e, EpochDone):
                row = {"epoch": float(e.epoch), "loss": e.loss, **e.metrics}
                if e.val_loss is not None:
                    row["val_loss"] = e.val_loss
                row.update({f"val_{k}": v for k, v in e.val_metrics.items()})
                rows.append(row)
    return ComparedRun(run.name, short_label(run.name), tuple(rows))
