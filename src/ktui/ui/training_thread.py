"""The trainer's thread: starts the run and hands its events to the UI thread.

The training view's worker calls :func:`run_training`, which starts the run the way the CLI
does (:func:`ktui.core.session.start_run`: run directory, lock, recording, a daemon thread
named :data:`TRAIN_THREAD_NAME`) and only waits for it, polling for cancellation: on quit it
asks the trainer to stop and gives it a moment, but never keeps the process (and the
terminal) waiting on a long TensorFlow call. ``run_app`` waits for threads of that name after
the screen is restored, so the last batch and model.keras are saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from ktui.core import session
from ktui.core.events import Event, RunFailed, RunFinished, StepDone
from ktui.core.runs.storage import RunError
from ktui.core.session import TRAIN_THREAD_NAME
from ktui.core.spec import ExperimentSpec
from ktui.core.training.control import TrainerControl
from ktui.ui.messages import EventInbox, RunRecording, TrainerEvents, TrainingCrashed

#: ``train(spec, sink, control, *, data_dir=None) -> RunFinished | RunFailed``
TrainFn = Callable[..., RunFinished | RunFailed]
#: How long a stopping trainer gets to finish its batch before the worker lets go of it.
STOP_GRACE_S = 0.8


def run_training(spec: ExperimentSpec, control: TrainerControl, *,
                 post: Callable[[Message], Any], cancelled: Callable[[], bool],
                 inbox: EventInbox, train_fn: TrainFn | None, data_dir: str | None,
                 runs_dir: str | None) -> None:
    """Train ``spec``, putting every event in ``inbox`` (and ``post`` a wake-up for each
    but a step's); returns when the run ended or ``cancelled()`` became true. Never raises:
    a failure is posted as TrainingCrashed.

    ``train_fn`` None trains for real, recorded in a new run directory under ``runs_dir``.
    """
    final: list[Event] = []

    def sink(event: Event) -> None:
        inbox.put(event)
        if not isinstance(event, StepDone):  # a step waits for the screen's next frame
            if isinstance(event, (RunFinished, RunFailed)):
                final.append(event)
            post(TrainerEvents())

    from ktui.core import user_layers

    try:  # your layer file edited since it was imported (after a failed run): its new code
        if user_layers.reload_changed():
            user_layers.resolve_shapes(spec)
    except user_layers.LayerFileError as err:
        sink(RunFailed("spec", "your layer file cannot be used: " + "; ".join(err.problems)))
        return
    try:
        handle = session.start_run(spec, [sink], runs_root=runs_dir, data_dir=data_dir,
                                   control=control, trainer=train_fn,
                                   record=train_fn is None)
    except RunError as err:  # the run-dir problem, said plainly, as a failure
        sink(RunFailed("io", str(err)))
        return
    if handle.run_dir is not None:
        post(RunRecording(str(handle.run_dir.path)))
    while not handle.done:
        handle.join(0.05)
        if cancelled():
            control.stop()
            handle.join(STOP_GRACE_S)
            return
    if handle.error is not None:
        err = handle.error
        post(TrainingCrashed(f"{type(err).__name__}: {err}", handle.traceback))
    elif not final:
        result = handle.result
        if isinstance(result, (RunFinished, RunFailed)):
            sink(result)
        else:
            post(TrainingCrashed(f"the trainer ended without a final event (returned {result!r})"))


__all__ = ["STOP_GRACE_S", "TRAIN_THREAD_NAME", "TrainFn", "run_training"]
