"""One way to start a run: :func:`start_run`, for the CLI, the TUI and the benchmarks.

It creates (or reopens) the run directory, takes its lock, puts the recording sinks (the
logs, then the model files) in front of the caller's sinks, and runs the trainer in a daemon
thread named :data:`TRAIN_THREAD_NAME`, returning a :class:`RunHandle` to pause, step, stop
and wait for it. Problems with the run directory that show before training (it cannot be
created, another process holds it) raise :class:`RunError` at once; everything after is an
event. Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ktui.core import spec as specmod
from ktui.core.events import Event, RunFailed, RunFinished
from ktui.core.files import atomic_write, cause
from ktui.core.runs.recorder import Recording, RunRecorder
from ktui.core.runs.rundir import RunDir
from ktui.core.runs.storage import RunError
from ktui.core.runs.storage import runs_root as default_runs_root
from ktui.core.training.control import TrainerControl
from ktui.core.training.loop import ModelSink, Sink

#: The trainer thread's name (the TUI waits for threads of this name before it exits).
TRAIN_THREAD_NAME = "ktui-train"
#: ``train(spec, sink, control, *, data_dir=None, model_sinks=()) -> RunFinished | RunFailed``
#: (:func:`ktui.core.training.loop.train`; tests pass a scripted one).
Trainer = Callable[..., RunFinished | RunFailed]


@dataclass
class RunHandle:
    """A run in progress: its controls, its run directory and, once it ended, its result."""

    control: TrainerControl
    #: Where the run is recorded; None for an unrecorded run.
    run_dir: RunDir | None = None
    #: With ``restart``: where the earlier attempt's files were moved.
    set_aside: Path | None = None
    #: The run's last event, once it ended.
    result: RunFinished | RunFailed | None = None
    #: An exception the trainer let escape (a bug), and its traceback.
    error: BaseException | None = None
    traceback: str = ""
    _thread: threading.Thread | None = field(default=None, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def stop(self) -> None:
        """Stop after the current batch (the run ends as ``stopped``, model saved)."""
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step(self, n: int = 1) -> None:
        """While paused, run ``n`` more batches."""
        self.control.step(n)

    @property
    def done(self) -> bool:
        """Whether the trainer has returned (or crashed)."""
        return self._done.is_set()

    def join(self, timeout: float | None = None) -> RunFinished | RunFailed | None:
        """Wait up to ``timeout`` seconds (None: until it ends); the result, or None while
        it is still running (or when it crashed: see :attr:`error`)."""
        self._done.wait(timeout)
        return self.result if self.done else None


def start_run(spec: specmod.ExperimentSpec, sinks: Sequence[Sink], *,
              runs_root: str | os.PathLike | None = None, run: RunDir | None = None,
              resume: bool = False, restart: bool = False, data_dir: str | None = None,
              control: TrainerControl | None = None, trainer: Trainer | None = None,
              record: bool = True) -> RunHandle:
    """Train ``spec`` in a thread, sending every event to each of ``sinks`` in turn.

    The run is recorded in a new directory under ``runs_root`` (``--runs-dir``, else
    ``$KTUI_RUNS_DIR``, else ``./ktui-runs``), or in ``run`` when given: a directory made by
    :meth:`RunDir.create`, or with ``resume`` one to continue from its last checkpoint (logs
    and curves go on from that epoch), or with ``restart`` one to train again from epoch 1,
    its earlier files set aside. A resumed or restarted run's ``spec.toml`` becomes ``spec``.
    ``record=False`` trains without a run directory. ``trainer`` replaces the real one.

    Raises :class:`RunError` (one line) when the directory cannot be created, rewritten or
    locked (:class:`RunBusy`: another process trains into it); the lock is held until the
    run ends.
    """
    control = control or TrainerControl()
    handle = RunHandle(control)
    if not record:
        handle._thread = _spawn(handle, lambda: (trainer or _default_trainer())(
            spec, _fan_out(sinks), control, data_dir=data_dir))
        return handle
    if run is None:
        if resume or restart:
            raise ValueError("resume and restart continue a run: pass run=")
        run = RunDir.create(default_runs_root(runs_root), spec)
    lock = run.lock()
    lock.acquire()
    try:
        handle.run_dir = run
        if restart:
            handle.set_aside = _set_aside(run)
        if resume or restart:
            _adopt_spec(run, spec)
    except BaseException:
        lock.release()
        raise

    from ktui.core.runs.control_channel import open_channel

    channel = open_channel(run.path, control)  # viewers steer it: RUN/control.sock

    def work() -> RunFinished | RunFailed:
        try:
            return _record(spec, sinks, control, run, resume=resume and not restart,
                           data_dir=data_dir, trainer=trainer or _default_trainer())
        finally:
            if channel is not None:
                channel.close()
            lock.release()

    handle._thread = _spawn(handle, work)
    return handle


def _default_trainer() -> Trainer:
    from ktui.core.training import loop

    return loop.train


def _fan_out(sinks: Sequence[Sink]) -> Sink:
    sinks = tuple(sinks)

    def send(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return send


def _set_aside(run: RunDir) -> Path:
    try:
        return run.set_aside()
    except OSError as err:
        raise RunError(f"cannot update {run.path}: {cause(err)}") from None


def _adopt_spec(run: RunDir, spec: specmod.ExperimentSpec) -> None:
    """Make ``spec`` the run's ``spec.toml`` (a new epoch total is part of the run from now
    on); a file that already says the same, however formatted, is left alone."""
    text = specmod.dumps(spec)
    with contextlib.suppress(specmod.SpecError, OSError):
        if specmod.dumps(run.spec()) == text:
            return
    try:
        atomic_write(run.spec_file, text)
    except OSError as err:
        raise RunError(f"cannot update {run.path}: {cause(err)}") from None


def _spawn(handle: RunHandle, work: Callable[[], RunFinished | RunFailed]) -> threading.Thread:
    def target() -> None:
        try:
            handle.result = work()
        except BaseException as err:  # noqa: BLE001 - kept for the caller, never lost
            handle.error, handle.traceback = err, traceback.format_exc()
        finally:
            handle._done.set()

    thread = threading.Thread(target=target, name=TRAIN_THREAD_NAME, daemon=True)
    thread.start()
    return thread


def _record(spec: specmod.ExperimentSpec, sinks: Sequence[Sink], control: TrainerControl,
            run: RunDir, *, resume: bool, data_dir: str | None, trainer: Trainer
            ) -> RunFinished | RunFailed:
    """Train into ``run`` (its lock held): the logs, then the caller's sinks, get every
    event; the model files come from a :class:`KerasSink`."""
    send = _fan_out(sinks)
    if resume:
        from ktui.core.runs.keras_sink import rewind  # imports TensorFlow

        problem = rewind(run)
        if problem:
            return _failed(send, problem)
    try:  # your layer files (--layers): a copy beside the spec that uses them
        from ktui.core.user_layers import copy_into

        copy_into(run.path, spec.layers)
    except OSError as err:
        return _failed(send, f"cannot write {run.rel(run.path / 'layers')}: {cause(err)}")
    try:
        recorder = RunRecorder(run)
    except OSError as err:
        return _failed(send, f"cannot write {run.rel(run.events_file)}: {cause(err)}")
    if not resume:  # a resumed run keeps the record of the data it started on
        _record_data(run, spec)
    from ktui.core.runs.keras_sink import KerasSink

    model_files = KerasSink(run, recorder, resume=resume)
    recording = Recording(recorder, sinks, control.stop, model_files.remove_partial_files,
                          stop_reason=lambda: control.stop_reason)
    try:
        result = trainer(spec, recording, control, data_dir=data_dir,
                         model_sinks=[model_files])
    finally:  # every way out, early failures included, closes the log
        recorder.close()
    return recording.final or result


def _record_data(run: RunDir, spec: specmod.ExperimentSpec) -> None:
    """``summary.json``'s ``data``: a user's file's path, size, time and sha256 (what
    ``--resume`` checks); nothing for built-in data. A file that cannot be read is left to
    the loader to report."""
    from ktui.core.datasets import DataError

    try:
        source = spec.dataset.source()
        if source is not None:
            run.write_summary({"data": source.to_dict()})
    except (DataError, OSError):
        pass


def _failed(send: Sink, message: str) -> RunFailed:
    event = RunFailed(kind="io", message=message)
    send(event)
    return event


__all__ = ["TRAIN_THREAD_NAME", "ModelSink", "RunError", "RunHandle", "Trainer", "start_run"]
