"""The steering of a run that another process trains, with :class:`TrainerControl`'s face.

A viewer (the TUI's watch view) calls ``pause``, ``resume``, ``step``, ``stop``, ``set_lr`` and
``multiply_lr`` as the training view calls them on its own trainer's control; each becomes
one request over the run's control channel (:mod:`ktui.core.runs.control_channel`), sent from
a short-lived thread so a slow or dead trainer never blocks the caller. Nothing is assumed
done: the trainer's events (``paused``, ``lr_changed``, ``run_finished``) are the
acknowledgement, read from its log like every other viewer reads them. A request that could
not be delivered is handed to ``on_error`` (from the sending thread) in one line.
Pure Python: no Textual, no TensorFlow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ktui.core.runs.control_channel import ChannelError, send

#: ``send(folder, request, name)``: what delivers a request (a test passes its own).
Sender = Callable[[Path, dict[str, Any], str], None]


class RemoteControl:
    """Requests to the process training the run in ``folder``; ``on_error(op, message)`` is
    told of each one that did not reach it."""

    def __init__(self, folder: Path, name: str,
                 on_error: Callable[[str, str], None] | None = None,
                 sender: Sender | None = None, threaded: bool = True) -> None:
        self.folder, self.name = folder, name
        self.on_error = on_error
        self._send: Sender = sender or send
        self.threaded = threaded
        #: What the viewer last asked or last heard: paused (the trainer's ``paused`` and
        #: ``resumed`` events set it too, see :meth:`heard`).
        self._paused = False
        #: The requests sent so far, in order (what a test or a status line can show).
        self.sent: list[dict[str, Any]] = []

    # ---- TrainerControl's face ------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True
        self._request({"op": "pause"})

    def resume(self) -> None:
        self._paused = False
        self._request({"op": "resume"})

    def step(self, n: int = 1) -> None:
        self._paused = True
        self._request({"op": "step", "n": int(n)})

    def stop(self, reason: str = "") -> None:
        """Stop the run; the trainer records ``stopped: from a viewer (pid N)`` whatever
        ``reason`` says (the kernel tells it who asked)."""
        self._request({"op": "stop"})

    def set_lr(self, value: float) -> None:
        self._request({"op": "lr", "value": float(value)})

    def multiply_lr(self, factor: float) -> None:
        self._request({"op": "lr", "factor": float(factor)})

    # ---- the trainer's answers --------------------------------------------------------------
    def heard(self, paused: bool) -> None:
        """The trainer said it paused (True) or went on (False)."""
        self._paused = paused

    # ---- delivery -------------------------------------------------------------------------
    def _request(self, request: dict[str, Any]) -> None:
        self.sent.append(request)
        if not self.threaded:
            self._deliver(request)
            return
        threading.Thread(target=self._deliver, args=(request,), name="ktui-steer",
                         daemon=True).start()

    def _deliver(self, request: dict[str, Any]) -> None:
        try:
            self._send(self.folder, request, self.name)
        except ChannelError as err:
            self._failed(str(request.get("op")), str(err))
        except Exception as err:  # noqa: BLE001 - a viewer's key never ends the viewer
            self._failed(str(request.get("op")), f"{type(err).__name__}: {err}")

    def _failed(self, op: str, message: str) -> None:
        if op in ("pause", "step"):
            self._paused = False  # nothing paused it
        if self.on_error is not None:
            self.on_error(op, message)


__all__ = ["RemoteControl", "Sender"]
