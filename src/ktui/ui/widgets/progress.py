"""The run's progress as text: state, epoch and step, a bar, the latest numbers, the pace."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

STATE_STYLE = {
    "idle": ("○", "dim"), "starting": ("◌", "yellow"), "running": ("▶", "green"),
    "paused": ("‖", "yellow"), "stopping": ("■", "yellow"), "evaluating": ("◌", "cyan"),
    "finished": ("✔", "green"), "stopped": ("■", "yellow"), "failed": ("✘", "red"),
    "interrupted": ("⚠", "yellow"), "unknown": ("?", "dim"),
}
#: States in which the run is over: the line says how far it got, not which epoch is next.
ENDED = ("finished", "stopped", "failed", "interrupted", "unknown")


@dataclass
class RunView:
    """Everything the progress line shows, derived from events only.

    Times are ``time.monotonic()`` readings passed in by the screen (a test passes its own),
    and time spent paused is kept apart so elapsed time and ETA count training only.
    """

    state: str = "idle"
    epochs_done: int = 0
    epochs: int = 0
    step: int = 0
    steps_per_epoch: int = 0
    global_step: int = 0
    start_step: int = 0
    loss: float | None = None
    step_loss: float | None = None
    val_loss: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    val_metrics: dict[str, float] = field(default_factory=dict)
    steps_per_s: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    #: Test-set size from RunStarted (None: not known, e.g. a past run without its stream).
    test_samples: int | None = None
    #: Where the run is recorded (shown on the third line), "" when it is not.
    run_dir: str = ""
    paused_since: float | None = None
    paused_total: float = 0.0

    @property
    def fraction(self) -> float:
        total = self.epochs * self.steps_per_epoch
        if total <= 0:
            return 0.0
        done = max(self.global_step, self.epochs_done * self.steps_per_epoch)
        return min(max(done / total, 0.0), 1.0)

    def pause(self, now: float) -> None:
        if self.paused_since is None:
            self.paused_since = now

    def resume(self, now: float) -> None:
        if self.paused_since is not None:
            self.paused_total += max(now - self.paused_since, 0.0)
            self.paused_since = None

    def end(self, now: float) -> None:
        self.resume(now)
        self.ended_at = now

    def elapsed(self, now: float) -> float | None:
        """Seconds of training so far: wall time since the start, less the pauses."""
        if self.started_at is None:
            return None
        now = self.ended_at if self.ended_at is not None else now
        paused = self.paused_total
        if self.paused_since is not None:
            paused += max(now - self.paused_since, 0.0)
        return max(now - self.started_at - paused, 0.0)

    def eta(self, now: float) -> float | None:
        """Seconds left at the pace of this session's steps (a resumed run's earlier steps
        took no time here); None when there is nothing to go on or nothing running."""
        elapsed = self.elapsed(now)
        total = self.epochs * self.steps_per_epoch
        done = max(self.global_step, self.epochs_done * self.steps_per_epoch)
        ran = done - self.start_step
        if self.state != "running" or not elapsed or ran <= 0 or total <= 0 or done >= total:
            return None
        return (total - done) * elapsed / ran


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' * (n != 1)}"


class RunProgress(Static):
    """Three lines; ``clocks=False`` (test mode) shows fixed placeholders for all timings.

    The bar fills the line's width, recomputed when the widget is resized.
    """

    def __init__(self, *, clocks: bool = True, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.clocks = clocks
        self._shown = ""
        self._last: tuple[RunView, str] | None = None

    def on_resize(self, event: Resize) -> None:
        if self._last is not None:
            self.show(*self._last)

    def status_line(self, view: RunView) -> Text:
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
                line.append(f"  step {view.step}/{view.steps_per_epoch}")
        return line

    def show(self, view: RunView, tf_status: str = "", now: float | None = None) -> None:
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
        if view.run_dir:
            line3.append(f"  │  recording in {view.run_dir}")
        if tf_status:
            line3.append(f"  │  {tf_status}")
        for line in (line1, line2, line3):
            line.no_wrap, line.overflow = True, "ellipsis"
        text = Text("\n").join([line1, line2, line3])
        text.no_wrap, text.overflow = True, "ellipsis"  # 3 lines, whatever the width
        if text.markup != self._shown:  # the same text again would repaint the same 3 lines
            self._shown = text.markup
            self.update(text, layout=False)  # always 3 lines: no layout pass needed
