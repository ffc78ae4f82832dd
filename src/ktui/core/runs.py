"""Run directories: every run's spec, logs, checkpoints and final model, written crash-safe.

Layout of ``<runs root>/<YYYYmmdd-HHMMSS>-<name>/``::

    spec.toml          the exact experiment (loadable with --spec)
    summary.json       status, epochs, final and best metrics, seconds, why it ended
    metrics.csv        one row per epoch, columns like Keras' CSVLogger (epoch, then sorted keys)
    events.jsonl       the event stream, as ``ktui train --jsonl`` prints it
    tensorboard/       tf.summary scalars: loss, metrics, W/b statistics per layer
    checkpoints/last/  tf.train.Checkpoint of model + optimizer after the latest epoch
    checkpoints/best/  the same for the epoch with the lowest validation (else training) loss
    model.keras        the final model; loads in plain Keras after ``import ktui``

Logs are appended and flushed per line; everything else is written to a temporary file and
renamed over the old one, so a ``kill -9`` leaves every file readable and complete up to the
last finished epoch. This module does not import TensorFlow (listing runs stays instant).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktui.core import spec as specmod
from ktui.core.events import (
    EpochDone,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    json_safe,
    to_json,
)

RUNS_ENV = "KTUI_RUNS_DIR"
DEFAULT_RUNS_DIR = "ktui-runs"
SUMMARY_VERSION = 1


class RunError(Exception):
    """A run directory that cannot be used; the message says which and why."""


def runs_root(explicit: str | os.PathLike | None = None) -> Path:
    """``--runs-dir``, else ``$KTUI_RUNS_DIR``, else ``./ktui-runs``."""
    return Path(explicit or os.environ.get(RUNS_ENV) or DEFAULT_RUNS_DIR)


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename: readers see the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class RunDir:
    path: Path

    spec_file = property(lambda self: self.path / "spec.toml")
    summary_file = property(lambda self: self.path / "summary.json")
    metrics_file = property(lambda self: self.path / "metrics.csv")
    events_file = property(lambda self: self.path / "events.jsonl")
    tensorboard_dir = property(lambda self: self.path / "tensorboard")
    last_dir = property(lambda self: self.path / "checkpoints" / "last")
    best_dir = property(lambda self: self.path / "checkpoints" / "best")
    model_file = property(lambda self: self.path / "model.keras")

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, root: Path, spec: specmod.ExperimentSpec) -> RunDir:
        """A new, empty run directory named by time and experiment."""
        root.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in spec.name) or "run"
        for i in range(1000):
            path = root / (f"{stamp}-{safe}" + (f"-{i}" if i else ""))
            try:
                path.mkdir()
            except FileExistsError:
                continue
            run = cls(path)
            atomic_write(run.spec_file, specmod.dumps(spec))
            run.write_summary({"status": "running", "epochs_done": 0})
            return run
        raise RunError(f"cannot create a run directory under {root}")

    @classmethod
    def find(cls, name: str, root: Path) -> RunDir:
        """A run by path or by its name under ``root``."""
        for candidate in (Path(name), root / name):
            if (candidate / "spec.toml").is_file():
                return cls(candidate)
        raise RunError(f"no run {name!r} (looked for {Path(name)} and {root / name}); "
                       "`ktui runs` lists them")

    def spec(self) -> specmod.ExperimentSpec:
        return specmod.load(self.spec_file)

    def summary(self) -> dict[str, Any]:
        try:
            data = json.loads(self.summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise RunError(f"{self.summary_file}: unreadable ({err})") from None
        if not isinstance(data, dict):
            raise RunError(f"{self.summary_file}: not a JSON object")
        return data

    def write_summary(self, fields: dict[str, Any]) -> None:
        try:
            current = self.summary()
        except RunError:
            current = {}
        current.update(fields)
        current.update({"summary_version": SUMMARY_VERSION, "updated": time.time(),
                        "pid": os.getpid(), "host": socket.gethostname()})
        atomic_write(self.summary_file, json.dumps(json_safe(current), indent=2) + "\n")

    def status(self) -> str:
        """``running``, ``finished``, ``stopped``, ``failed`` or ``interrupted`` (the process
        that wrote ``running`` is gone, e.g. killed)."""
        data = self.summary()
        status = str(data.get("status", "unknown"))
        if status == "running" and not _alive(data.get("pid"), data.get("host")):
            return "interrupted"
        return status

    def epochs_logged(self) -> list[dict[str, float]]:
        """metrics.csv rows as numbers (a torn last line from a crash is ignored)."""
        if not self.metrics_file.exists():
            return []
        text = self.metrics_file.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]
        rows = []
        for row in csv.DictReader(io.StringIO(text)):
            try:
                rows.append({k: float(v) if v not in ("", None) else math.nan
                             for k, v in row.items()})
            except ValueError:
                continue
        return rows

    def truncate_logs(self, epochs: int) -> None:
        """Drop log rows after ``epochs`` (before resuming from that checkpoint)."""
        rows = [r for r in self.epochs_logged() if r.get("epoch", 0) <= epochs]
        if self.metrics_file.exists():
            atomic_write(self.metrics_file, _csv_text(rows))
        if self.events_file.exists():
            kept = []
            for line in self.events_file.read_text(encoding="utf-8").splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("epoch", 0) <= epochs and event.get("event") not in (
                        "run_finished", "run_failed"):
                    kept.append(line)
            atomic_write(self.events_file, "".join(k + "\n" for k in kept))


def _alive(pid: Any, host: Any) -> bool:
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _csv_text(rows: list[dict[str, float]]) -> str:
    if not rows:
        return ""
    keys = _csv_keys(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: int(row[k]) if k == "epoch" else row.get(k) for k in keys})
    return out.getvalue()


def _csv_keys(row: dict[str, Any]) -> list[str]:
    return ["epoch", *sorted(k for k in row if k != "epoch")]


def epoch_row(event: EpochDone) -> dict[str, float]:
    """The CSVLogger-style row: epoch, loss, metrics, val_loss, val_metrics."""
    row: dict[str, float] = {"epoch": event.epoch, "loss": event.loss}
    row.update(event.metrics)
    if event.val_loss is not None:
        row["val_loss"] = event.val_loss
    row.update({f"val_{k}": v for k, v in event.val_metrics.items()})
    return row


class RunRecorder:
    """A sink that writes events.jsonl, metrics.csv and summary.json as events arrive."""

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.best: dict[str, float] | None = None
        self.monitor = "val_loss"
        self.started = time.time()
        self.last_epoch = 0
        self._events = open(run.events_file, "a", encoding="utf-8")  # noqa: SIM115
        self._csv_keys: list[str] | None = None
        if run.metrics_file.exists() and run.metrics_file.stat().st_size:
            with open(run.metrics_file, encoding="utf-8") as f:
                self._csv_keys = next(csv.reader(f))
            for row in run.epochs_logged():
                self._track_best(row)
                self.last_epoch = int(row["epoch"])

    def __call__(self, event: Event) -> None:
        self._events.write(to_json(event) + "\n")
        self._events.flush()
        if isinstance(event, RunStarted):
            self.monitor = "val_loss" if event.val_samples else "loss"
            self.run.write_summary({"status": "running", "name": event.name,
                                    "devices": list(event.devices),
                                    "epochs": event.epochs, "task": event.task,
                                    "monitor": self.monitor})
        elif isinstance(event, EpochDone):
            row = epoch_row(event)
            self._append_csv(row)
            self._track_best(row)
            self.last_epoch = event.epoch
            self.run.write_summary({"epochs_done": event.epoch, "final": row,
                                    "best": self.best,
                                    "seconds": self._seconds(event.seconds)})
        elif isinstance(event, RunFinished):
            self.run.write_summary({"status": event.status, "epochs_done": self.last_epoch,
                                    "test": event.test, "reason": event.status,
                                    "ended": time.time()})
        elif isinstance(event, RunFailed):
            self.run.write_summary({"status": "failed", "reason": event.message,
                                    "failure": event.kind, "ended": time.time()})

    def _seconds(self, epoch_seconds: float) -> float:
        try:
            before = float(self.run.summary().get("seconds", 0.0))
        except RunError:
            before = 0.0
        return before + epoch_seconds

    def _track_best(self, row: dict[str, float]) -> None:
        value = row.get(self.monitor, row.get("loss"))
        if value is None or not math.isfinite(value):
            return
        best = self.best.get(self.monitor, self.best.get("loss")) if self.best else None
        if best is None or value < best:
            self.best = dict(row)

    def is_best(self, event: EpochDone) -> bool:
        """Whether ``event`` is the best epoch so far (called after it was recorded)."""
        return self.best is not None and self.best.get("epoch") == event.epoch

    def _append_csv(self, row: dict[str, float]) -> None:
        new = self._csv_keys is None
        if new:
            self._csv_keys = _csv_keys(row)
        with open(self.run.metrics_file, "a", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._csv_keys, lineterminator="\n",
                                    extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)
            f.flush()

    def close(self) -> None:
        self._events.close()


@dataclass(frozen=True)
class RunInfo:
    name: str
    path: Path
    dataset: str
    epochs_done: int
    epochs: int
    status: str
    best: str
    age_s: float


def list_runs(root: Path) -> tuple[list[RunInfo], list[str]]:
    """Every readable run under ``root``, newest first, and a problem line for each
    directory that is not one (reported and skipped, never a crash)."""
    runs: list[RunInfo] = []
    problems: list[str] = []
    if not root.is_dir():
        return runs, problems
    now = time.time()
    for path in sorted(root.iterdir(), reverse=True):
        if not path.is_dir() or path.name.startswith("."):
            continue
        run = RunDir(path)
        try:
            spec = run.spec()
            summary = run.summary()
            status = run.status()
        except (RunError, specmod.SpecError, OSError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            problems.append(f"{path.name}: skipped, not a readable ktui run ({first})")
            continue
        best = summary.get("best") or {}
        monitor = summary.get("monitor", "val_loss")
        metric = next((k for k in best if k.startswith("val_") and k != "val_loss"), None) \
            or monitor
        best_text = f"{metric} {best[metric]:.4f}" if metric in best and isinstance(
            best[metric], (int, float)) else "-"
        runs.append(RunInfo(
            name=path.name, path=path, dataset=spec.dataset.kind,
            epochs_done=int(summary.get("epochs_done", 0)), epochs=spec.train.epochs,
            status=status, best=best_text, age_s=now - float(summary.get("updated", now)),
        ))
    return runs, problems


def format_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"
