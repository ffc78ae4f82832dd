"""A CPU budget for the charts' redraws on new training data.

A chart redraw is Python from end to end (plotext builds its canvas cell by cell, rich and
Textual turn it into strips): ~10 ms for a 120×40 screen's loss chart on the 2-core box, more
on a larger terminal or a slower machine. Each chart already waits ``DATA_REDRAW_S`` (1 s)
between two redraws, but a run with short epochs gives every chart new data every second, and
the three charts redrawn each second were about half of the UI thread's 0.055 of a core
(``python -m benchmarks``: ``ui_cpu_fraction``; the trainer's host loop waits for the GIL
while the UI holds it). :class:`RedrawBudget` caps what they take
together, on average, whatever the terminal's size or the machine: it is refilled at
:data:`CHART_CPU_SHARE` seconds of CPU per second, each redraw spends what it measured
(building on the UI thread, and rendering in the compositor, see ``StripCache.seconds``), and
new data waits while the balance is spent. What the user asks for (a new run, a resize, other
chart options) and a run's end redraw at once and are only counted.
"""

from __future__ import annotations

from dataclasses import dataclass

#: CPU seconds per second (of one core) the charts may spend on new data, on average. At
#: 120×40 with the fashion-mlp preset's 0.7-s epochs: each chart every 3-4 s (was 1-2), the UI
#: thread's steady fraction 0.056 -> 0.039 (5 runs each, interleaved; 0.015 gave ~0.050); a
#: run with longer epochs (only the loss chart has new data each second) is not slowed.
#: Session 9 tried 0.007 with a burst of 0.02, 30 epochs of the same run, two runs each: the
#: UI thread 0.034-0.036 -> 0.029-0.031, but each chart redrawn every 6-8 s instead of every
#: 1.3-4 (a redraw costs ~16 ms of the UI thread while training competes): charts that look
#: stuck, for half a per cent of a core. Kept.
CHART_CPU_SHARE = 0.01
#: The most the balance holds: a few redraws in a row after a quiet while.
BURST_S = 0.05


@dataclass
class RedrawBudget:
    """A balance of CPU seconds, refilled with the monotonic clock (``limited=False``:
    :data:`NO_BUDGET`, which allows everything and counts nothing)."""

    limited: bool = True
    share: float = CHART_CPU_SHARE
    burst: float = BURST_S
    balance: float = BURST_S
    #: When it was last refilled (None: not yet).
    at: float | None = None

    def refill(self, now: float) -> None:
        """Add what the time since the last refill earned, up to :attr:`burst`."""
        if not self.limited:
            return
        if self.at is not None and now > self.at:
            self.balance = min(self.burst, self.balance + (now - self.at) * self.share)
        self.at = now if self.at is None else max(self.at, now)

    def allows(self) -> bool:
        """Whether new data may be drawn now."""
        return not self.limited or self.balance > 0

    def spend(self, seconds: float) -> None:
        if self.limited:
            self.balance -= max(seconds, 0.0)


#: No budget: scripted screens (tests: every point drawn, no clock to race) and the sweep view.
NO_BUDGET = RedrawBudget(limited=False)

__all__ = ["BURST_S", "CHART_CPU_SHARE", "NO_BUDGET", "RedrawBudget"]
