"""Messages that carry the trainer's stream (and TensorFlow's warm-up) into the UI thread.

Workers never touch widgets: they ``post_message`` one of these (thread-safe, non-blocking) and
the screen updates itself in its handler; the trainer's events wait in an :class:`EventInbox`
that the screen empties, a message only waking it. (Screens ask the app to act through
:class:`ktui.ui.host.KtuiHost`, synchronously, so keys typed in a burst keep their order.)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from textual.message import Message

from ktui.core.events import Event


class EventInbox:
    """The trainer's events on their way to the UI thread, in the order it sent them.

    The trainer's thread puts every event here; a step's (every ``log_every`` steps: ten or
    more a second in a fast run) waits for the screen's next frame, which takes all that
    wait at once, and any other event wakes the screen with one :class:`TrainerEvents`.
    Steps used to be a message each, and a message costs the UI thread its dispatch and a
    pass of Textual's idle handling while the trainer's host loop waits for the GIL.
    A deque's ``append`` and ``popleft`` are atomic: no lock.
    """

    def __init__(self) -> None:
        self._events: deque[Event] = deque()

    def put(self, event: Event) -> None:
        self._events.append(event)

    def next(self) -> Event | None:
        """The oldest waiting event (None: none waits). One at a time, so a handler that
        takes events itself (a run's end flushes the screen) keeps their order."""
        try:
            return self._events.popleft()
        except IndexError:
            return None


@dataclass
class TrainerEvents(Message, bubble=False):
    """Events other than steps wait in the training screen's :class:`EventInbox`.

    The training screen handles the trainer's messages; none bubbles to the app, which
    would dispatch each again for nothing."""


@dataclass
class TrainingCrashed(Message, bubble=False):
    """The train function raised (or ended without a final event): shown, never fatal."""

    error: str
    details: str = ""


@dataclass
class TensorFlowStatus(Message):
    """Result of the background ``import tensorflow`` started at mount."""

    text: str
    ok: bool


@dataclass
class RunRecording(Message, bubble=False):
    """The run directory the worker created: shown on the progress line (not as a toast,
    which would cover the result line)."""

    path: str
