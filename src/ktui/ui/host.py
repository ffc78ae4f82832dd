"""What the screens may read from and ask of the app, typed without importing the app.

``ktui.ui.app`` imports every screen; a screen that imported the app back would make a cycle
(even under ``TYPE_CHECKING`` it ties the two together). So a screen declares
``host = HostGetter()``: the running app, checked against this protocol (once per app),
whatever its class. Only the app knows the other screens: a screen asks it to open the
training view, go back to setup or show a past run, and the app picks the screen class.

The requests are calls, not posted messages, on purpose: a message would be handled after
the keys already queued, so ``ctrl+r`` then ``esc`` typed in one burst would end in the
training view instead of back in setup.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ktui.core.spec import ExperimentSpec
from ktui.ui.settings import AppSettings

if TYPE_CHECKING:  # annotations only: the trainer's modules (numpy...) load after the frame
    from textual.message_pump import MessagePump

    from ktui.core.runs import RunDir
    from ktui.ui.compared import ComparedRun
    from ktui.ui.training_thread import TrainFn


@runtime_checkable
class KtuiHost(Protocol):
    """The app as the screens see it: the experiment being edited and how to run it."""

    #: Injected behaviour (clock, blink, timings, ...): see :class:`AppSettings`.
    settings: AppSettings
    #: The experiment the setup view edits (replaced by presets, files, past runs).
    spec: ExperimentSpec
    #: The spec file last saved or opened (the next dialog's default).
    spec_path: str
    #: Redraws of the training view per second.
    fps: float
    #: Where runs are recorded (None: $KTUI_RUNS_DIR or ./ktui-runs).
    runs_dir: str | None
    #: Where Fashion-MNIST is looked for first (None: the standard places).
    data_dir: str | None
    #: A train function to use instead of the real trainer (a scripted one in tests).
    train_fn: TrainFn | None
    #: Past runs overlaid on the live charts.
    compared: list[ComparedRun]
    #: "TensorFlow loading…", then "TensorFlow 2.21.0 ready" (a reactive: screens watch it).
    tf_status: str

    def compared_names(self) -> list[str]:
        """The names of the runs in :attr:`compared`."""
        ...

    # ---- requests ---------------------------------------------------------------------------
    def open_training(self, *, start: bool) -> Any:
        """Open the training view on a copy of :attr:`spec`; ``start`` trains at once."""
        ...

    def back_to_setup(self) -> None:
        """Leave the training view for the setup view (under it, or built now)."""
        ...

    def open_recorded(self, run: RunDir) -> Any:
        """Show a past run's curves, read-only, on top of the runs list."""
        ...

    def open_watch(self, run: RunDir) -> Any:
        """Follow and steer a run that another process trains, on top of the runs list."""
        ...

    def load_run_spec(self, run: RunDir) -> None:
        """Load a past run's spec into the setup view and go there."""
        ...

    def toggle_compare(self, run: RunDir) -> bool:
        """Mark or unmark a past run for the overlay on the live charts."""
        ...


class HostGetter:
    """``host = HostGetter()``: the running app as a :class:`KtuiHost`, like
    ``textual.getters.app(KtuiHost)``, which checks the protocol at every access: ~26 µs
    (``isinstance`` against a runtime-checkable protocol looks up each member), and the
    training view asks for the host several times a frame. This checks each app once."""

    def __init__(self) -> None:
        self._checked: weakref.WeakSet[object] = weakref.WeakSet()

    def __get__(self, obj: MessagePump | None, objtype: type | None = None) -> KtuiHost:
        if obj is None:
            raise AttributeError("host is read from a widget or a screen")
        app = obj.app
        if app not in self._checked:
            if not isinstance(app, KtuiHost):
                raise TypeError(f"{type(app).__name__} is not a KtuiHost")
            self._checked.add(app)
        return app  # type: ignore[return-value]  # checked above, once


__all__ = ["HostGetter", "KtuiHost"]
