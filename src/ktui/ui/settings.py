"""What differs between a user's session and a reproducible one, injected into the app.

The CLI runs the app with :data:`DEFAULT_SETTINGS`; the TUI tests build it with settings of
their own (a fixed clock, no blink, no animation, no TensorFlow warm-up, every scripted point
drawn) so a screenshot is the same on every run. Production code asks these settings, never
"am I under test?" (as harlequin and posting inject their configuration).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from textual.dom import DOMNode


@dataclass(frozen=True)
class AppSettings:
    """How the app behaves where a person and a screenshot want different things."""

    #: Monotonic seconds for elapsed time, ETA and pauses (a test passes its own).
    clock: Callable[[], float] = time.monotonic
    #: Show what depends on the wall clock: steps/s, elapsed, ETA, a run's seconds, run ages.
    timings: bool = True
    #: Import TensorFlow in the background once the first frame is up (and say so).
    warm_up_tf: bool = True
    #: Blink the text cursor of input fields.
    cursor_blink: bool = True
    #: Textual's animations (scrolling, toasts).
    animations: bool = True
    #: Seconds between chart redraws caused by new data; None keeps each chart's own pace,
    #: 0 draws every point as it comes (what a screenshot of a scripted run needs).
    chart_min_interval: float | None = None
    #: Re-raise a survived handler error when the app ends (Pilot tests fail on it unless
    #: they took it with ``take_internal_errors``); a user's session keeps running.
    reraise_internal_errors: bool = False
    #: Repaint only the cells of a chart or the progress lines that changed (see
    #: ``charts.paint``); off (``KTUI_FULL_REPAINT=1``) every redraw repaints the whole
    #: widget, for a terminal that shows stale cells, and the benchmarks' "before".
    partial_repaint: bool = True


#: The environment variable that turns :attr:`AppSettings.partial_repaint` off.
FULL_REPAINT_ENV = "KTUI_FULL_REPAINT"


def session_settings(environ: Mapping[str, str] | None = None) -> AppSettings:
    """A user's session: the defaults, with ``KTUI_FULL_REPAINT=1`` honoured."""
    env = os.environ if environ is None else environ
    full = env.get(FULL_REPAINT_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return AppSettings(partial_repaint=not full)


DEFAULT_SETTINGS = AppSettings()


def settings_of(node: DOMNode) -> AppSettings:
    """The settings of ``node``'s app, or the defaults under an app without any (a widget
    or a dialog reused elsewhere)."""
    settings = getattr(node.app, "settings", None)
    return settings if isinstance(settings, AppSettings) else DEFAULT_SETTINGS


__all__ = ["DEFAULT_SETTINGS", "FULL_REPAINT_ENV", "AppSettings", "session_settings",
           "settings_of"]
