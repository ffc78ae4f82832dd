"""The run's progress as text: state, epoch and step, a bar, the latest numbers, the pace."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

STATE_STYLE = {
    "idle": ("○", "dim"), "starting": ("◌", "yellow"), "running": ("▶", "green"),
    "paused": ("‖", "yellow"), "stopping": ("■", "yellow"), "finished": ("✔", "green"),
    "stopped": ("■", "yellow"), "failed": ("✘", "red"), "interrupted": ("⚠", "yellow"),
    "unknown": ("?", "dim"),
}


@dataclass
class RunView:
    """Everything the progress line shows, derived from events only."""

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

    @property
    def fraction(self) -> float:
        total = self.epochs * self.steps_per_epoch
        if total <= 0:
            return 0.0
        done = max(self.global_step, self.epochs_done * self.steps_per_epoch)
        return min(max(done / total, 0.0), 1.0)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"


class RunProgress(Static):
    """Three lines; ``clocks=False`` (test mode) shows fixed placeholders for all timings."""

    def __init__(self, *, clocks: bool = True, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.clocks = clocks
        self._shown = ""

    def show(self, view: RunView, tf_status: str = "") -> None:
        icon, style = STATE_STYLE.get(view.state, ("?", ""))
        width = max(self.size.width, 40)
        line1 = Text()
        line1.append(f"{icon} {view.state}", style=f"bold {style}")
        epoch_now = min(view.epochs_done + (view.state in ("running", "paused")), view.epochs)
        line1.append(f"  epoch {epoch_now}/{view.epochs}")
        if view.steps_per_epoch:
            line1.append(f"  step {view.step}/{view.steps_per_epoch}")
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
            now = view.ended_at or time.monotonic()
            elapsed = None if view.started_at is None else now - view.started_at
            eta = None
            if elapsed is not None and 0 < view.fraction < 1 and view.state == "running":
                eta = elapsed * (1 - view.fraction) / view.fraction
            rate = "–" if view.steps_per_s is None else f"{view.steps_per_s:,.1f}"
            line3.append(f"{rate} steps/s · elapsed {_clock(elapsed)} · ETA {_clock(eta)}")
        else:
            line3.append("– steps/s · elapsed --:-- · ETA --:--")
        if tf_status:
            line3.append(f"  │  {tf_status}")
        for line in (line1, line2, line3):
            line.no_wrap, line.overflow = True, "ellipsis"
        text = Text("\n").join([line1, line2, line3])
        if text.markup != self._shown:  # the same text again would repaint the same 3 lines
            self._shown = text.markup
            self.update(text, layout=False)  # always 3 lines: no layout pass needed
