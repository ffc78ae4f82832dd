"""How the TUI ends cleanly: SIGTERM and SIGHUP quit like ``ctrl+c``, and the process waits
for a stopping trainer's last batch and model.keras before it exits."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Protocol

from ktui.ui.safety import print_safely
from ktui.ui.training_thread import TRAIN_THREAD_NAME

#: Signals that end the TUI like ``ctrl+c`` does (an SSH connection dropping sends SIGHUP).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
#: How long a quit waits at most for the trainer's last batch and its model.keras.
TRAINER_STOP_TIMEOUT_S = 60.0


class StoppedBySignal(Protocol):
    """An app that quits, stopping its runs, when told from a signal handler."""

    def stop_from_signal(self, signum: int) -> None: ...


def install_signal_handlers(app: StoppedBySignal) -> Callable[[], None]:
    """Make SIGTERM and SIGHUP stop the run cleanly and quit (Textual leaves them at their
    default, which kills the process with the terminal in raw mode and the run unrecorded).
    A signal the user set to be ignored (``nohup``) stays ignored. Returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal.signal works only there

    def on_signal(signum: int, frame: FrameType | None) -> None:
        app.stop_from_signal(signum)

    previous: dict[int, object] = {}
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is signal.SIG_IGN:
            continue
        previous[sig] = signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    return restore


def trainer_threads() -> list[threading.Thread]:
    """The trainers still running (see ktui.ui.training_thread)."""
    return [t for t in threading.enumerate() if t.name == TRAIN_THREAD_NAME and t.is_alive()]


def wait_for_trainers(timeout: float = TRAINER_STOP_TIMEOUT_S) -> bool:
    """After the screen is restored: let a stopping trainer finish its batch, record
    ``stopped`` and save model.keras (its thread is a daemon, the process would otherwise
    end under it). False when the user gave up waiting with ctrl+c."""
    threads = trainer_threads()
    if not threads:
        return True
    deadline = time.monotonic() + timeout
    told = False
    try:
        for thread in threads:
            while thread.is_alive() and time.monotonic() < deadline:
                thread.join(0.1)
                if not told and thread.is_alive():
                    told = True
                    print_safely("ktui: stopping the run after its batch and saving the model "
                                 "(ctrl+c to leave now)…")
    except KeyboardInterrupt:
        return False
    if any(t.is_alive() for t in threads):
        print_safely(f"ktui: the trainer did not stop within {timeout:.0f}s; leaving it.")
    return True


__all__ = [
    "STOP_SIGNALS", "TRAINER_STOP_TIMEOUT_S", "install_signal_handlers", "trainer_threads",
    "wait_for_trainers",
]
