"""The run-dir logs as a sink of events: events.jsonl, metrics.csv and summary.json.

:class:`RunRecorder` writes each event as it arrives; :class:`Recording` puts it in front of
the caller's sinks (a crash must not lose an epoch the user saw) and turns a run whose files
could not be written into a ``RunFailed(kind="io")`` that says which file and why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ktui.core.events import (
    Confusion,
    EpochDone,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    XlaPicked,
    to_json,
)
from ktui.core.files import append_whole, atomic_write, cause, write_all
from ktui.core.runs.metrics_log import csv_keys, csv_lines, epoch_row
from ktui.core.runs.rundir import RunDir
from ktui.core.runs.storage import RunError
from ktui.core.text import clean

Sink = Callable[[Event], None]


class RunRecorder:
    """A sink that writes events.jsonl, metrics.csv and summary.json as events arrive.

    A write that fails (disk full, the folder made read-only, removed) never raises into the
    trainer: the recorder notes it in :attr:`failure` (``cannot write RUN/metrics.csv: No
    space left on device; ...``), calls :attr:`on_failure` (the trainer stops after the
    current batch) and writes nothing more, so every file stays whole up to the last epoch.
    """

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.best: dict[str, float] | None = None
        #: The latest confusion matrix per split, as summary.json keeps them.
        self.confusions: dict[str, dict] = {}
        self.monitor = "val_loss"
        self.started = time.time()
        self.last_epoch = 0
        #: The first write that failed, as a one-line message; None while all is well.
        self.failure: str | None = None
        #: Called once, with the message, when a write fails (the session passes a stop).
        self.on_failure: Callable[[str], None] | None = None
        self._events = os.open(run.events_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                               | os.O_CLOEXEC, 0o644)
        #: When this process began recording (the wall clock of a run counts from here: data,
        #: model, compilation and evaluation included), and the two durations of earlier
        #: sessions of a resumed run (read at its RunStarted).
        self._opened = time.time()
        self._before = (0.0, 0.0)
        log = run.read_metrics()
        self._csv_keys: list[str] | None = list(log.header) if log.header else None
        for row in log.rows:
            self._track_best(row)
            self.last_epoch = int(row["epoch"])

    def __call__(self, event: Event) -> None:
        if self.failure is not None:
            return  # after a failed write nothing more is written: the files stay whole
        path = self.run.events_file
        try:
            write_all(self._events, (to_json(event) + "\n").encode("utf-8"))
            path = self.run.metrics_file
            if isinstance(event, EpochDone):
                row = epoch_row(event)
                self._append_csv(row)
                self._track_best(row)
                self.last_epoch = event.epoch
            if isinstance(event, Confusion):
                path = self.run.confusion_file
                self._confusion(event)
            path = self.run.summary_file
            self._summarize(event)
        except OSError as err:
            self.io_failed(path, err)

    def _summarize(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            if event.start_epoch:
                self._before = self._durations_so_far()
            self.monitor = "val_loss" if event.val_samples else "loss"
            why = (f"jit_compile = {event.xla}" if event.strategy == "one"
                   else f"not used under the {event.strategy} strategy")
            xla = {"xla": {"on": event.xla == "on", "reason": why}} if event.xla != "auto" else {}
            self.run.write_summary({"status": "running", "name": event.name,
                                    "devices": list(event.devices),
                                    "epochs": event.epochs, "task": event.task,
                                    "monitor": self.monitor, **xla})
        elif isinstance(event, XlaPicked):
            self.run.write_summary({"xla": {"on": event.xla,
                                            "reason": f"jit_compile = auto: {event.reason}"}})
        elif isinstance(event, EpochDone):
            self.run.write_summary({"epochs_done": event.epoch, "final": epoch_row(event),
                                    "best": self.best,
                                    "seconds": self._seconds(event.seconds)})
        elif isinstance(event, RunFinished):
            train_s, wall_s = self._before
            self.run.write_summary({"status": event.status, "epochs_done": self.last_epoch,
                                    "seconds": train_s + event.seconds,
                                    "wall_seconds": wall_s + time.time() - self._opened,
                                    "test": event.test,
                                    "reason": event.reason or event.status,
                                    "ended": time.time()})
        elif isinstance(event, RunFailed):
            self.run.write_summary({"status": "failed", "reason": event.message,
                                    "failure": event.kind, "ended": time.time()})

    def _confusion(self, event: Confusion) -> None:
        """``confusion.csv``: the test set's matrix, else the latest validation one; both,
        with the class names, under ``confusion`` in ``summary.json``."""
        self.confusions[event.split] = {"epoch": event.epoch,
                                        "matrix": [list(row) for row in event.matrix]}
        if event.split == "test" or "test" not in self.confusions:
            # Here, not at the top: the TUI's first frame imports this module, and numpy
            # alone costs it ~0.3 s (python -X importtime).
            import numpy as np

            from ktui.core.insight import confusion_csv


            atomic_write(self.run.confusion_file,
                         confusion_csv(np.asarray(event.matrix), event.class_names))
        self.run.write_summary({"confusion": {"class_names": list(event.class_names),
                                              **self.confusions}})

    def io_failed(self, path: Path, err: OSError) -> None:
        """Note a failed write of ``path`` (the first one wins) and ask the trainer to stop."""
        if self.failure is not None:
            return
        where = f"after epoch {self.last_epoch}" if self.last_epoch else "before its first epoch"
        hint = (f"free some space, then `ktui train --resume {clean(self.run.name)}`"
                if err.errno in (errno.ENOSPC, errno.EDQUOT) else
                f"fix that, then `ktui train --resume {clean(self.run.name)}`")
        self.failure = (f"cannot write {self.run.rel(path)}: {cause(err)}; the run stopped "
                        f"{where}, keeping what was written ({hint})")
        if self.on_failure is not None:
            self.on_failure(self.failure)

    def record_failure(self, event: RunFailed) -> None:
        """Try to log the run's ending after a failed write (best effort: the disk may still
        be full; then the run reads as interrupted and ``--resume`` continues it)."""
        self.run.remove_partial_files()
        with contextlib.suppress(OSError):
            write_all(self._events, (to_json(event) + "\n").encode("utf-8"))
        with contextlib.suppress(OSError):
            self.run.write_summary({"status": "failed", "reason": event.message,
                                    "failure": event.kind, "ended": time.time()},
                                   in_place_if_full=True)

    def _durations_so_far(self) -> tuple[float, float]:
        """(training, wall) seconds the summary holds from earlier sessions."""
        try:
            summary = self.run.read_summary()
        except RunError:
            return 0.0, 0.0
        return summary.seconds, summary.wall_seconds

    def _seconds(self, epoch_seconds: float) -> float:
        try:
            before = self.run.read_summary().seconds
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
        keys = self._csv_keys = self._csv_keys or csv_keys(row)
        try:
            append_whole(self.run.metrics_file, csv_lines([row], keys, header=new))
        except OSError:
            if new:
                self._csv_keys = None  # the header was not written either
            raise

    def close(self) -> None:
        if self._events >= 0:
            os.close(self._events)
            self._events = -1


class Recording:
    """The sink of a recorded run: the recorder first, then the caller's ``sinks``.

    A failed write (the recorder's, or a model file's reported to the recorder) stops the run
    after the current batch (``stop``) and turns its ending into ``RunFailed(kind="io")``
    naming the file and the cause; ``before_failure`` runs first (deleting half-written
    checkpoints frees space for the last summary). :attr:`final` is the ending the sinks saw.
    """

    def __init__(self, recorder: RunRecorder, sinks: Sequence[Sink], stop: Callable[[], None],
                 before_failure: Callable[[], None] | None = None,
                 stop_reason: Callable[[], str] | None = None) -> None:
        self.recorder, self.sinks = recorder, tuple(sinks)
        #: Why a stop was asked (``Ctrl+C``, ``from a viewer (pid N)``): a run stopped that
        #: way ends with the reason ``stopped: Ctrl+C`` (summary.json, events.jsonl, views).
        self.stop_reason = stop_reason
        self.before_failure = before_failure
        self.final: RunFinished | RunFailed | None = None
        recorder.on_failure = lambda message: stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted) and not event.run_dir:  # where the files go
            event = dataclasses.replace(event, run_dir=str(self.recorder.run.path))
        if (isinstance(event, RunFinished) and event.status == "stopped" and not event.reason
                and self.stop_reason is not None and (why := self.stop_reason())):
            event = dataclasses.replace(event, reason=f"stopped: {why}")
        self.recorder(event)
        if isinstance(event, (RunFinished, RunFailed)):
            if self.recorder.failure is not None:
                event = self._io_ending(event, self.recorder.failure)
                if self.before_failure is not None:
                    with contextlib.suppress(Exception):
                        self.before_failure()
                self.recorder.record_failure(event)
            self.final = event
        for sink in self.sinks:
            sink(event)

    def _io_ending(self, event: RunFinished | RunFailed, failure: str) -> RunFailed:
        if isinstance(event, RunFailed) and event.kind == "io":
            return event
        if isinstance(event, RunFailed) and event.kind != "error":  # the first cause stays
            return dataclasses.replace(event, message=f"{event.message} (also: {failure})")
        return RunFailed(kind="io", message=failure, epoch=self.recorder.last_epoch,
                         details={"ended_as": event.status if isinstance(event, RunFinished)
                                  else event.message})
