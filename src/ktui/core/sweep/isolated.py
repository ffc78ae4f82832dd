"""One trial as a ``ktui train`` subprocess (``ktui sweep --isolate``): your layer files are
imported there, a crash (a segfault, the OOM killer, ``os._exit`` in a layer) ends that
process only, and its GPU memory goes back to the card when it ends.

The worker makes the trial's run folder (as in-process trials do) and starts
``python -m ktui train --spec RUN/spec.toml --into-run RUN`` (no shell; stdout and stderr to
``RUN/train.log``). It follows the run's ``events.jsonl`` as it grows
(:class:`~ktui.core.runs.follow.EventFollower`) to report each epoch to the study, and stops a
pruned trial through the run's control channel
(:class:`~ktui.core.runs.remote_control.RemoteControl`). :class:`TrialProcess` has the faces
the trial's objective reads for an in-process run: the events queue (``get``, ``empty``), the
run handle (``done``, ``join``, ``error``) and the control (``stop``, ``stop_reason``).
Pure Python: TensorFlow is imported by the subprocess only.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ktui.core.events import EpochDone, Event, RunFailed, RunFinished
from ktui.core.processes import PARENT_ENV
from ktui.core.runs.background import LOG_NAME, log_tail
from ktui.core.runs.background import train_argv as background_argv
from ktui.core.runs.follow import EventFollower
from ktui.core.runs.remote_control import RemoteControl
from ktui.core.runs.rundir import RunDir

#: How often the trial's event log is read while waiting for its next line.
POLL_S = 0.1
_WANTED = (EpochDone, RunFinished, RunFailed)


class TrialProcessDied(RuntimeError):
    """The trial's ``ktui train`` ended without a last event (its message is the reason)."""


def train_argv(run: RunDir, root: Path, extra: Sequence[str] = ()) -> list[str]:
    """The trial's command line: the run's own spec into the run's own folder."""
    return [sys.executable, "-m", "ktui", *background_argv(run, root), *extra]


class TrialProcess:
    """A trial's ``ktui train`` subprocess and the events of its run."""

    def __init__(self, run: RunDir, root: Path, extra: Sequence[str] = ()) -> None:
        self.run = run
        self.log = run.path / LOG_NAME
        try:
            with open(self.log, "ab") as out:
                # In the worker's own session (no new one): a worker killed with its process
                # group takes its trial along; a Ctrl+C is forwarded by stop().
                # It stops (SIGTERM) if this worker is killed: no trial trains for nobody.
                self.proc = subprocess.Popen(train_argv(run, root, extra),
                                             stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, close_fds=True,
                                             env={**os.environ, PARENT_ENV: str(os.getpid())})
        except OSError as err:  # no process left, no disk for its log: this trial fails
            raise TrialProcessDied(f"cannot start its ktui train process: "
                                   f"{err.strerror or err}") from None
        self._follower = EventFollower(run)
        self._ready: collections.deque[Event] = collections.deque()
        self._final: RunFinished | RunFailed | None = None
        self._remote = RemoteControl(run.path, run.name, on_error=self._not_delivered,
                                     threaded=False)

    # ---- the events queue's face -----------------------------------------------------------
    def _poll(self) -> None:
        for line in self._follower.poll():
            if isinstance(line.event, _WANTED):
                self._ready.append(line.event)

    def get(self, timeout: float) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            self._poll()
            if self._ready:
                event = self._ready.popleft()
                if isinstance(event, (RunFinished, RunFailed)):
                    self._final = event
                return event
            if time.monotonic() >= deadline:
                raise queue.Empty
            time.sleep(POLL_S)

    def empty(self) -> bool:
        self._poll()  # what the process wrote before it ended
        return not self._ready

    # ---- the run handle's face -------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.proc.poll() is not None

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)
        self._follower.close()

    @property
    def error(self) -> TrialProcessDied | None:
        """Why the process ended without its run's last event (None when it said it)."""
        code = self.proc.poll()
        if self._final is not None or code in (None, 0):
            return None
        if code < 0:
            how = f"was killed by {_signal_name(-code)}"
        else:
            how = f"exited with code {code}"
        tail = log_tail(self.log, 3).replace("\n", " | ")
        return TrialProcessDied(f"its ktui train process {how}" + (f": {tail}" if tail else ""))

    # ---- the control's face ----------------------------------------------------------------
    def stop(self, reason: str = "") -> None:
        """Stop the run after its batch: over its control channel (a pruned trial), or a
        Ctrl+C of its own when the sweep is interrupted (the channel may not be up yet)."""
        if reason == "the sweep was interrupted":
            self._signal(signal.SIGINT)
        else:
            self._remote.stop(reason)

    @property
    def stop_reason(self) -> str:
        """Who stopped the run, as its trainer recorded it (``from a viewer (pid N)``)."""
        if isinstance(self._final, RunFinished):
            return self._final.reason.removeprefix("stopped:").strip()
        return ""

    def _not_delivered(self, _op: str, _message: str) -> None:
        self._signal(signal.SIGINT)  # no channel (yet): the trainer's own Ctrl+C stop

    def _signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.send_signal(sig)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


__all__ = ["TrialProcess", "TrialProcessDied", "train_argv"]
