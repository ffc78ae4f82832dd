"""Messages that carry the trainer's stream (and TensorFlow's warm-up) into the UI thread.

Workers never touch widgets: they ``post_message`` one of these (thread-safe, non-blocking) and
the screen updates itself in its handler. (Screens ask the app to act through
:class:`ktui.ui.host.KtuiHost`, synchronously, so keys typed in a burst keep their order.)
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ktui.core.events import Event, StepDone


@dataclass
class TrainerEvent(Message, bubble=False):
    """Any trainer event other than a step (those come as :class:`StepProgress`).

    The training screen handles the trainer's messages; none bubbles to the app, which
    would dispatch each again for nothing (a dozen a second in a fast run)."""

    event: Event


@dataclass
class StepProgress(Message, bubble=False):
    """A step's loss and rate. Frequent, so a newer one may replace one still queued."""

    event: StepDone
    #: False for reproducible screens: which steps get merged depends on timing.
    mergeable: bool = True

    def can_replace(self, message: Message) -> bool:
        # Only merges while the UI is behind; the charts lose a point, never the epoch totals.
        return self.mergeable and isinstance(message, StepProgress)


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
