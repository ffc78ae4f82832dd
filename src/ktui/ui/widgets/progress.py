"""The run's progress as text: state, epoch and step, a bar, the latest numbers, the pace.

Everything shown comes from the run's :class:`RunHistory`; this only lays it out.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.events import Resize

from ktui.core.history import RunHistory
from ktui.core.text import clean, metric_text
from ktui.ui.widgets.charts.lr import lr_text
from ktui.ui.widgets.charts.paint import keyed
from ktui.ui.widgets.partial_static import PartialStatic

STATE_STYLE = {
    "idle": ("○", "dim"), "starting": ("◌", "yellow"), "running": ("▶", "green"),
    "paused": ("‖", "yellow"), "stopping": ("■", "yellow"), "evaluating": ("◌", "cyan"),
    "finished": ("✔", "green"), "stopped": ("■", "yellow"), "failed": ("✘", "red"),
    "interrupted": ("⚠", "yellow"), "unknown": ("?", "dim"),
}
#: States in which the run is over: the line says how far it got, not which epoch is next.
ENDED = ("finished", "stopped", "failed", "interrupted", "unknown")


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def _fmt(v: float | None) -> str:
    return "–" if v is None else metric_text(v)


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' * (n != 1)}"


class RunProgress(PartialStatic):
    """Three lines; ``clocks=False`` (a past run, or settings without timings) shows fixed
    placeholders for all timings.

    The bar fills the line's width, recomputed when the widget is resized.
    """

    def __init__(self, *, clocks: bool = True, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.clocks = clocks
        self._shown: tuple[object, ...] = ()
        self._last: tuple[RunHistory, str] | None = None

    def on_resize(self, event: Resize) -> None:
        if self._last is not None:
            self.show(*self._last)

    def status_line(self, view: RunHistory) -> Text:
        """``▶ running  epoch 3/10  step 2/4``, or how far an ended run got."""
        icon, style = STATE_STYLE.get(view.state, ("?", ""))
        line = Text()
        if view.state == "evaluating":
            line.append(f"{icon} evaluating test set…", style=f"bold {style}")
            line.append(f"  {view.epochs_done}/{view.epochs} epochs done")
            return line
        line.append(f"{icon} {view.state}", style=f"bold {style}")
        if view.state == "finished":
            line.append(f"  {view.epochs_done}/{view.epochs} epochs")
        elif view.state in ENDED:
            line.append(f"  after {view.epochs_done} of {_epochs(view.epochs)}")
        else:
            epoch_now = min(view.epochs_done + (view.state in ("running", "paused", "stopping")),
                            view.epochs)
            line.append(f"  epoch {epoch_now}/{view.epochs}")
            if view.steps_per_epoch:
                # Between epochs the last step is the finished epoch's: the next one is at 0.
                done = view.global_step <= view.epochs_done * view.steps_per_epoch
                step = 0 if done and epoch_now > view.epochs_done else view.step
                line.append(f"  step {step}/{view.steps_per_epoch}")
        return line

    def show(self, view: RunHistory, tf_status: str = "", now: float | None = None) -> None:
        """Redraw from ``view`` (only when the text changed); ``now`` is a monotonic time."""
        self._last = (view, tf_status)
        icon, style = STATE_STYLE.get(view.state, ("?", ""))
        width = max(self.size.width, 40)
        line1 = self.status_line(view)
        bar_w = max(width - line1.cell_len - 8, 10)
        filled = round(view.fraction * bar_w)
        line1.append("  ")
        line1.append("█" * filled, style=style or "green")
        line1.append("░" * (bar_w - filled), style="dim")
        line1.append(f" {view.fraction:4.0%}")

        line2 = Text()
        line2.append("loss ", style="dim").append(_fmt(view.loss))
        if view.val_loss is not None:
            line2.append("  val ", style="dim").append(_fmt(view.val_loss))
        if view.lr is not None:  # the rate the next step uses (+/- and L change it)
            line2.append("  lr ", style="dim").append(lr_text(view.lr))
        for name, value in view.metrics.items():
            line2.append(f"  {name} ", style="dim").append(_fmt(value))
        for name, value in view.val_metrics.items():
            line2.append(f"  val {name} ", style="dim").append(_fmt(value))
        if view.step_loss is not None:
            line2.append("  step loss ", style="dim").append(_fmt(view.step_loss))

        line3 = Text(style="dim")
        if self.clocks:
            now = time.monotonic() if now is None else now
            rate = "–" if view.steps_per_s is None else f"{view.steps_per_s:,.1f}"
            line3.append(f"{rate} steps/s · elapsed {_clock(view.elapsed(now))} · "
                         f"ETA {_clock(view.eta(now))}")
        else:
            line3.append("– steps/s · elapsed --:-- · ETA --:--")
        if view.xla:  # the step runs compiled with XLA (asked for, or picked by auto)
            line3.append(" · XLA")
        started = view.started
        if started is not None and started.strategy != "one":  # where a spread run trains
            line3.append(f"  │  {clean(started.placement)}")
            if started.role:
                line3.append(f" · {clean(started.role)}")
        if view.run_dir:  # the folder whole before the words about it (80 columns)
            words = "recording in " if line3.cell_len + 18 + len(view.run_dir) <= width else ""
            line3.append(f"  │  {words}{view.run_dir}")
        if tf_status:
            line3.append(f"  │  {tf_status}")
        lines = keyed((line1, line2, line3))
        shown = tuple(key for key, _line in lines)
        if shown != self._shown:  # the same text again would repaint the same 3 lines
            self._shown = shown
            # Only the cells that changed are repainted (a step counter, a bar one cell
            # longer: ~100 bytes instead of ~1.2 KB a frame; see PartialStatic). The lines
            # are cut to the width by the CSS (#progress: nowrap, ellipsis).
            self.show_lines(lines)  # always 3 lines: no layout pass needed
