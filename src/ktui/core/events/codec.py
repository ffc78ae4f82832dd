"""The one codec of events: :func:`to_dict`/:func:`to_json` give the JSON shape documented in
the docs (``--jsonl``, ``events.jsonl``) and :func:`from_dict` reads it back, tolerant of lines
from older versions and of damaged ones.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from ktui.core.events.insight import Confusion, Predictions, SampleSet
from ktui.core.events.run import (
    EpochDone,
    Evaluating,
    Event,
    LayerSummary,
    LayerWeights,
    LrChanged,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    TensorStats,
    XlaPicked,
    wb_model_of,
)


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data, with ``event`` (its kind) first."""
    data = dataclasses.asdict(event)
    kind = data.pop("event")
    return {"event": kind, **data}


def json_safe(value: Any) -> Any:
    """JSON has no NaN or Infinity: replace them (at any depth) with None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def to_json(event: Event) -> str:
    """One event as a compact JSON line: the ``--jsonl`` and ``events.jsonl`` format."""
    return json.dumps(json_safe(to_dict(event)), separators=(",", ":"))


# ---- reading events back -------------------------------------------------------------------

#: Fields that must be whole numbers for the readers' arithmetic (a string there would fail
#: far from the file it came from): an object with another type is a skipped line.
_INTS = ("epoch", "epochs", "step", "steps_per_epoch", "global_step", "start_epoch",
         "epochs_done", "batch_size", "train_samples", "val_samples", "test_samples",
         "total_params", "trainable_params")
_FAILURE_KINDS = ("nan", "data", "spec", "io", "resources", "error")


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
                       values=tuple(_num(v) for v in data.get("values") or ()),
                       histogram=tuple(int(v) for v in data.get("histogram") or ()))


def _weights(data: Any) -> tuple[LayerWeights, ...]:
    """``[{layer, kernel, bias}, ...]`` back as LayerWeights (entries that are not objects
    are skipped; a missing list is no weights)."""
    if not isinstance(data, (list, tuple)):
        return ()
    return tuple(LayerWeights(str(w.get("layer", "")), _stats(w.get("kernel")),
                              _stats(w.get("bias")))
                 for w in data if isinstance(w, dict))


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` that are fields of ``cls``, whole numbers checked."""
    names = {f.name for f in dataclasses.fields(cls)} - {"event"}
    d = {k: v for k, v in data.items() if k in names}
    for name in _INTS:
        if name in d and (not isinstance(d[name], int) or isinstance(d[name], bool)
                          or d[name] < 0):
            raise TypeError(f"{name} must be a whole number, got {d[name]!r}")
    return d


def _run_started(d: dict[str, Any]) -> RunStarted:
    d["devices"] = tuple(d.get("devices") or ())
    d["layers"] = tuple(
        LayerSummary(**{**layer, "output_shape": tuple(layer.get("output_shape") or ())})
        for layer in d.get("layers") or ())
    d["metric_names"] = tuple(d.get("metric_names") or ())
    d["warnings"] = tuple(str(w) for w in d.get("warnings") or ())  # absent in older runs
    d["true_weights"] = tuple(_num(w) for w in d.get("true_weights") or ())
    if d.get("true_bias") is not None:
        d["true_bias"] = _num(d["true_bias"])
    d["initial_weights"] = _weights(d.get("initial_weights"))  # absent in older runs
    if d.get("xla") not in ("auto", "on", "off"):
        d["xla"] = "off"  # absent in older runs (their spec says whether they used XLA)
    if not isinstance(d.get("wb_model"), bool):  # older runs: decided here, once
        d["wb_model"] = wb_model_of(d["initial_weights"]) if d["initial_weights"] else None
    return RunStarted(**d)


def _step_done(d: dict[str, Any]) -> StepDone:
    d["loss"], d["steps_per_s"] = _num(d.get("loss")), _num(d.get("steps_per_s"))
    d["grad_norms"] = _numbers(d.get("grad_norms"))
    return StepDone(**d)


def _epoch_done(d: dict[str, Any]) -> EpochDone:
    d["loss"] = _num(d.get("loss"))
    d["val_loss"] = None if d.get("val_loss") is None else _num(d["val_loss"])
    d["metrics"], d["val_metrics"] = _numbers(d.get("metrics")), _numbers(d.get("val_metrics"))
    d["weights"] = _weights(d.get("weights"))
    d["seconds"], d["samples_per_s"] = _num(d.get("seconds")), _num(d.get("samples_per_s"))
    d["lr"] = None if d.get("lr") is None else _num(d["lr"])
    return EpochDone(**d)


def _floats(data: Any) -> tuple[float, ...]:
    return tuple(_num(v) for v in data) if isinstance(data, (list, tuple)) else ()


def _sample_set(d: dict[str, Any]) -> SampleSet:
    d["indices"] = tuple(int(v) for v in d.get("indices", ()))
    d["targets"] = _floats(d.get("targets"))
    d["class_names"] = tuple(str(v) for v in d.get("class_names", ()))
    d["image_shape"] = tuple(int(v) for v in d.get("image_shape", ()))
    d["images"] = tuple(tuple(int(v) for v in row) for row in d.get("images", ()))
    d["features"] = tuple(_floats(row) for row in d.get("features", ()))
    return SampleSet(**d)


def _predictions(d: dict[str, Any]) -> Predictions:
    d["predicted"], d["confidence"] = _floats(d.get("predicted")), _floats(d.get("confidence"))
    return Predictions(**d)


def _confusion(d: dict[str, Any]) -> Confusion:
    d["matrix"] = tuple(tuple(int(v) for v in row) for row in d.get("matrix", ()))
    d["class_names"] = tuple(str(v) for v in d.get("class_names", ()))
    return Confusion(**d)


def _lr_changed(d: dict[str, Any]) -> LrChanged:
    d["lr"], d["previous"] = _num(d.get("lr")), _num(d.get("previous"))
    d["source"] = "plateau" if d.get("source") == "plateau" else "user"
    return LrChanged(**d)


def _xla_picked(d: dict[str, Any]) -> XlaPicked:
    d["xla"] = d.get("xla") is True
    d["tried"] = d.get("tried") is not False
    d["reason"] = str(d.get("reason", ""))
    for key in ("plain_ms", "xla_ms", "compile_s"):
        d[key] = None if d.get(key) is None else _num(d[key])
    return XlaPicked(**d)


def _run_finished(d: dict[str, Any]) -> RunFinished | None:
    if d.get("status") not in ("finished", "stopped"):
        return None
    d["test"] = _numbers(d.get("test"))
    d["seconds"] = _num(d.get("seconds"))
    d["reason"] = str(d.get("reason", ""))
    return RunFinished(**d)


def _run_failed(d: dict[str, Any]) -> RunFailed:
    kind = d.get("kind", "error")
    d["kind"] = kind if kind in _FAILURE_KINDS else "error"
    d["message"] = str(d.get("message", ""))
    d["details"] = d["details"] if isinstance(d.get("details"), dict) else {}
    return RunFailed(**d)


def _evaluating(d: dict[str, Any]) -> Evaluating | None:
    return Evaluating(**d) if d.get("split", "test") == "test" else None


_DECODERS: dict[str, tuple[type, Any]] = {
    "run_started": (RunStarted, _run_started),
    "step_done": (StepDone, _step_done),
    "epoch_done": (EpochDone, _epoch_done),
    "lr_changed": (LrChanged, _lr_changed),
    "xla_picked": (XlaPicked, _xla_picked),
    "sample_set": (SampleSet, _sample_set),
    "predictions": (Predictions, _predictions),
    "confusion": (Confusion, _confusion),
    "paused": (Paused, lambda d: Paused(**d)),
    "resumed": (Resumed, lambda d: Resumed(**d)),
    "evaluating": (Evaluating, _evaluating),
    "run_finished": (RunFinished, _run_finished),
    "run_failed": (RunFailed, _run_failed),
}


def from_dict(data: Any) -> Event | None:
    """One ``--jsonl`` object back as an event; None for an unknown kind or an object that
    does not fit (a malformed line is skipped by its reader, never fatal). Fields a newer
    version added are ignored; fields an older one lacked take their defaults."""
    if not isinstance(data, dict):
        return None
    decoder = _DECODERS.get(data.get("event"))  # type: ignore[arg-type]
    if decoder is None:
        return None
    cls, decode = decoder
    try:
        return decode(_fields(cls, data))
    except Exception:  # noqa: BLE001 - any malformed object is one skipped line
        return None
