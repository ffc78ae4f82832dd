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
from ktui.core.runs import RunDir, RunSummary
from ktui.core.spec import ExperimentSpec, LinearData
from ktui.ui.widgets.charts import ComparedRun, short_label

#: Reading stops here: a runaway log must not freeze the UI (the curves are long done by then).
MAX_LINES = 200_000
#: Events a past run's view has no use for (not counted as unreadable lines).
IGNORED = ("paused", "resumed", "evaluating")


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


def _weights(data: Any) -> tuple[LayerWeights, ...]:
    """``[{layer, kernel, bias}, ...]`` back as LayerWeights (entries that are not objects
    are skipped; a missing list is no weights)."""
    if not isinstance(data, (list, tuple)):
        return ()
    return tuple(LayerWeights(str(w.get("layer", "")), _stats(w.get("kernel")),
                              _stats(w.get("bias")))
                 for w in data if isinstance(w, dict))


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)} - {"event"}
    return {k: v for k, v in data.items() if k in names}


#: Fields that must be whole numbers for the views' arithmetic (a string there would fail
#: far from the file it came from): an object with another type is a skipped line.
_INTS = ("epoch", "epochs", "step", "steps_per_epoch", "global_step", "start_epoch",
         "epochs_done", "batch_size", "train_samples", "val_samples", "test_samples",
         "total_params", "trainable_params")


def _check_ints(d: dict[str, Any]) -> dict[str, Any]:
    for name in _INTS:
        if name in d and (not isinstance(d[name], int) or isinstance(d[name], bool)
                          or d[name] < 0):
            raise TypeError(f"{name} must be a whole number, got {d[name]!r}")
    return d


def event_from_dict(data: dict[str, Any]) -> Event | None:
    """One ``--jsonl`` object back as an event; None for kinds the charts do not need or for
    an object that does not fit (a malformed line is skipped, never fatal)."""
    kind = data.get("event")
    try:
        if kind == "run_started":
            d = _check_ints(_fields(RunStarted, data))
            d["devices"] = tuple(d.get("devices") or ())
            d["layers"] = tuple(
                LayerSummary(**{**layer, "output_shape": tuple(layer.get("output_shape") or ())})
                for layer in d.get("layers") or ())
            d["metric_names"] = tuple(d.get("metric_names") or ())
            d["true_weights"] = tuple(_num(w) for w in d.get("true_weights") or ())
            if d.get("true_bias") is not None:
                d["true_bias"] = _num(d["true_bias"])
            d["initial_weights"] = _weights(d.get("initial_weights"))  # absent in older runs
            return RunStarted(**d)
        if kind == "step_done":
            d = _check_ints(_fields(StepDone, data))
            d["loss"], d["steps_per_s"] = _num(d.get("loss")), _num(d.get("steps_per_s"))
            return StepDone(**d)
        if kind == "epoch_done":
            d = _check_ints(_fields(EpochDone, data))
            d["loss"] = _num(d.get("loss"))
            d["val_loss"] = None if d.get("val_loss") is None else _num(d["val_loss"])
            d["metrics"], d["val_metrics"] = _numbers(d.get("metrics")), \
                _numbers(d.get("val_metrics"))
            d["weights"] = _weights(d.get("weights"))
            d["seconds"], d["samples_per_s"] = _num(d.get("seconds")), \
                _num(d.get("samples_per_s"))
            return EpochDone(**d)
        if kind == "run_finished":
            d = _check_ints(_fields(RunFinished, data))
            if d.get("status") not in ("finished", "stopped"):
                return None
            d["test"] = _numbers(d.get("test"))
            d["seconds"] = _num(d.get("seconds"))
            return RunFinished(**d)
        if kind == "run_failed":
            d = _check_ints(_fields(RunFailed, data))
            d["kind"] = str(d.get("kind", "error"))
            d["message"] = str(d.get("message", ""))
            d["details"] = d["details"] if isinstance(d.get("details"), dict) else {}
            return RunFailed(**d)
    except Exception:  # noqa: BLE001 - any malformed object is one skipped line
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
                elif data.get("event") not in IGNORED:
                    bad += 1
    except (OSError, ValueError):  # unreadable file: whatever was read so far
        pass
    return events, bad


def _rows(run: RunDir) -> list[dict[str, float]]:
    try:
        rows = run.epochs_logged()
    except Exception:  # noqa: BLE001 - a damaged metrics.csv is no rows, never a crash
        return []
    # Only numbers under string keys (csv puts a row's extra fields under the key None).
    return [{k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, float)}
            for row in rows if isinstance(row, dict)]


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
        started = RunStarted(name=run.name, devices=(), layers=(), total_params=0,
                             trainable_params=0, epochs=0, start_epoch=0, steps_per_epoch=0,
                             batch_size=0, train_samples=0, val_samples=0, test_samples=0,
                             task="", metric_names=())
        return Recorded(run=run, spec=None, summary=RunSummary(), status="unknown",
                        events=[started],
                        notes=[f"could not be read: {type(err).__name__}: {_first_line(err)}"],
                        streamed=False)


def _load_recorded(run: RunDir) -> Recorded:
    notes: list[str] = []
    try:
        spec: ExperimentSpec | None = run.spec()
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
                    notes=notes, streamed=streamed)


def _final_from_summary(summary: RunSummary, status: str,
                        epochs_done: int) -> RunFinished | RunFailed | None:
    if status in ("finished", "stopped"):
        return RunFinished(status, epochs_done, dict(summary.test), summary.seconds)  # type: ignore[arg-type]
    if status == "failed":
        kind = summary.failure
        kind = kind if kind in ("nan", "data", "spec", "io", "resources", "error") else "error"
        return RunFailed(kind, summary.reason or "the run failed")  # type: ignore[arg-type]
    return None  # running, interrupted or unknown: the view says so


def compared_run(run: RunDir) -> ComparedRun:
    """A run's per-epoch rows and dataset for the overlay (metrics.csv, else its epoch
    events); never raises (a run that cannot be read has no rows)."""
    try:
        dataset = run.spec().dataset.kind
    except Exception:  # noqa: BLE001 - unknown dataset: overlaid, as before
        dataset = ""
    try:
        rows = _compared_rows(run)
    except Exception:  # noqa: BLE001
        rows = []
    return ComparedRun(run.name, short_label(run.name), tuple(rows), dataset=dataset)


def _compared_rows(run: RunDir) -> list[dict[str, float]]:
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
    return rows
