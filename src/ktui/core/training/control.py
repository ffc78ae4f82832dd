"""Commands to a running trainer from another thread: pause, resume, single step, stop, and a
new learning rate.

Thread-safe and free of TensorFlow. The trainer calls :meth:`TrainerControl.wait_turn`
between batches, so a stop takes effect within one batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class TrainerControl:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._stop = False
        #: Why the run was asked to stop (``s in the TUI``, ``Ctrl+C``, ``from a viewer (pid
        #: N)``): the first request's words; "" when none said.
        self.stop_reason = ""
        self._paused = False
        self._steps_allowed = 0
        #: Whether listeners were told "paused" and not yet "resumed".
        self._announced_pause = False
        #: A learning-rate change not yet applied: ("set", value) or ("multiply", factor).
        self._lr_request: tuple[str, float] | None = None

    # -- called from the UI / signal handlers ------------------------------------------------
    def stop(self, reason: str = "") -> None:
        with self._cond:
            self.stop_reason = self.stop_reason or reason
            self._stop = True
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._steps_allowed = 0
            self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """While paused, let ``n`` more batches run, then pause again."""
        with self._cond:
            self._paused = True
            self._steps_allowed += n
            self._cond.notify_all()

    def set_lr(self, value: float) -> None:
        """Train with learning rate ``value`` from the next step on (a later request replaces
        one not yet applied)."""
        with self._cond:
            self._lr_request = ("set", float(value))

    def multiply_lr(self, factor: float) -> None:
        """Multiply the learning rate by ``factor`` from the next step on (requests not yet
        applied combine: ×2 twice is ×4)."""
        with self._cond:
            kind, value = self._lr_request or ("multiply", 1.0)
            self._lr_request = (kind, value * float(factor))

    # -- read by the trainer -----------------------------------------------------------------
    def take_lr_request(self) -> tuple[str, float] | None:
        """The pending learning-rate change, once (a plain read when there is none)."""
        if self._lr_request is None:
            return None
        with self._cond:
            request, self._lr_request = self._lr_request, None
            return request

    @property
    def stop_requested(self) -> bool:
        return self._stop

    @property
    def paused(self) -> bool:
        return self._paused

    def wait_turn(
        self,
        on_pause: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
    ) -> bool:
        """Block while paused; return False when a stop was requested, True to run a batch.

        ``on_pause`` runs once when the trainer starts waiting and ``on_resume`` when it goes
        on (not for single steps), so the trainer can tell its listeners.
        """
        with self._cond:
            if self._stop:
                return False
            if not self._paused:
                self._announce_resume(on_resume)
                return True
            if self._steps_allowed > 0:
                self._steps_allowed -= 1
                return True
            if on_pause and not self._announced_pause:
                on_pause()
            self._announced_pause = True
            while self._paused and self._steps_allowed == 0 and not self._stop:
                self._cond.wait(timeout=0.5)
            if self._stop:
                return False
            if self._paused:  # a single step was granted
                self._steps_allowed -= 1
                return True
            self._announce_resume(on_resume)
            return True

    def _announce_resume(self, on_resume: Callable[[], None] | None) -> None:
        """Tell listeners once that a pause is over, even when ``resume`` came while a
        single step was running (so every "paused" gets its "resumed")."""
        if self._announced_pause:
            self._announced_pause = False
            if on_resume:
                on_resume()
