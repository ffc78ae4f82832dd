"""The trainer's events reach the screen in order, a step without a message of its own."""

from __future__ import annotations

import threading

from ktui.core.events import EpochDone, RunFinished, StepDone
from ktui.core.spec.presets import get_preset
from ktui.core.training.control import TrainerControl
from ktui.ui.messages import EventInbox, TrainerEvents
from ktui.ui.training_thread import run_training

from .fakes import linear_events, scripted
from .helpers import feed, make_test_app


def test_the_inbox_gives_events_back_in_the_order_another_thread_put_them() -> None:
    inbox = EventInbox()
    sent = [StepDone(1, i, 10_000, i, float(i), 1.0) for i in range(1, 10_001)]

    def trainer() -> None:
        for event in sent:
            inbox.put(event)

    thread = threading.Thread(target=trainer)
    thread.start()
    got = []  # taken while the other thread puts
    while thread.is_alive():
        if (event := inbox.next()) is not None:
            got.append(event)
    while (event := inbox.next()) is not None:
        got.append(event)
    assert got == sent and inbox.next() is None


def test_a_step_posts_no_message_and_any_other_event_one() -> None:
    """A fast run sends ten or more steps a second: each was a message for the UI thread."""
    posted: list[object] = []
    inbox = EventInbox()
    run_training(get_preset("linear-gd"), TrainerControl(), post=posted.append, inbox=inbox,
                 cancelled=lambda: False, train_fn=scripted(linear_events), data_dir=None,
                 runs_dir=None)
    received = []
    while (event := inbox.next()) is not None:
        received.append(event)
    expected = list(linear_events())
    assert received[: len(expected)] == expected
    assert isinstance(received[-1], RunFinished)
    others = [e for e in received if not isinstance(e, StepDone)]
    assert len(posted) == len(others) and all(isinstance(m, TrainerEvents) for m in posted)
    assert sum(isinstance(e, StepDone) for e in received) == 40  # none merged, none lost


async def test_the_next_frame_applies_the_steps_that_came_and_a_wake_up_everything_before_it(
) -> None:
    events = list(linear_events(epochs=2))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, events[:1])  # run_started
        steps = [e for e in events[1:] if isinstance(e, StepDone)][:3]
        for step in steps:
            screen.inbox.put(step)
        assert screen.view.steps_seen == 0
        screen.flush()
        assert screen.view.steps_seen == 3
        rest = events[1 + 3:]
        epoch_at = next(i for i, e in enumerate(rest) if isinstance(e, EpochDone))
        for event in rest[: epoch_at + 1]:  # the epoch's last step, then its end
            screen.inbox.put(event)
        screen.post_message(TrainerEvents())
        await pilot.pause()
        assert screen.view.steps_seen == 4 and screen.view.epochs_seen == 1
