"""The progress line's epoch and step agree with its bar (issue 21, item 9): between two
epochs it said ``epoch 2/3  step 24/24`` beside 33 %."""

from __future__ import annotations

from ktui.core.events import EpochDone, RunStarted, StepDone
from ktui.core.history import RunHistory
from ktui.ui.widgets.progress import RunProgress

from .fakes import linear_events


def _after(kinds: int) -> RunHistory:
    """The history of a 3-epoch, 4-step run after its first ``kinds`` events."""
    view = RunHistory()
    for i, event in enumerate(linear_events(epochs=3, steps=4)):
        if i == kinds:
            break
        view.apply(event)
    return view


def test_between_epochs_the_next_epoch_is_at_step_0() -> None:
    events = list(linear_events(epochs=3, steps=4))
    first_epoch_end = next(i for i, e in enumerate(events) if isinstance(e, EpochDone))
    assert isinstance(events[first_epoch_end - 1], StepDone)
    assert isinstance(events[0], RunStarted)
    view = _after(first_epoch_end)  # the last step of epoch 1 is in, its EpochDone not yet
    assert "epoch 1/3  step 4/4" in RunProgress().status_line(view).plain
    view = _after(first_epoch_end + 1)  # epoch 1 done: the bar says a third
    line = RunProgress().status_line(view).plain
    assert "epoch 2/3  step 0/4" in line
    assert round(view.fraction, 2) == 0.33
