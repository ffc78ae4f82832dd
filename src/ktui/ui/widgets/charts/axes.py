"""Round tick values and short tick labels for the charts' axes (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def nice_ticks(lo: float, hi: float, count: int, *, integer: bool = False) -> list[float]:
    """At most ``count`` (at least 2) evenly spaced round ticks covering ``[lo, hi]``: steps of
    1, 2, 2.5 or 5 x 10^k (no 2.5 for ``integer`` ticks, whose step is at least 1): at least
    three where they fit, then the step that wastes the least room beyond the data, then the
    one with more ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = 1.0 if lo == 0 else abs(lo) * 0.1
        lo, hi = lo - pad, hi + pad
    span = hi - lo
    if not math.isfinite(span) or span <= 0:  # e.g. -1e308 to 1e308: no room for arithmetic
        return [lo, hi]
    count = max(count, 2)
    k = math.floor(math.log10(span / (count - 1)))
    best: tuple[bool, float, int, float, int, int] | None = None
    for exp in (k - 1, k, k + 1):
        for m in ((1, 2, 5) if integer else (1, 2, 2.5, 5)):
            step = m * 10.0 ** exp
            if integer and step < 1:
                continue
            start, end = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            n = end - start + 1
            if n > count:
                continue
            waste = ((end - start) * step - span) / span
            key = (n < min(3, count), round(waste, 6), -n, step, start, end)
            if best is None or key < best:
                best = key
    if best is None or best[5] - best[4] > 50:
        return [lo, hi]
    *_, step, start, end = best
    if integer:
        step = round(step)
    return [i * step for i in range(start, end + 1)]


def epoch_ticks(lo: int, hi: int, count: int) -> list[int]:
    """Whole-epoch ticks from ``lo`` to ``hi`` (the axis ends at the last epoch, not at the
    next round number), about ``count`` of them: multiples of a nice step, and ``hi``."""
    hi = max(hi, lo + 1)
    round_ticks = nice_ticks(lo, hi, count, integer=True)
    step = max(int(round_ticks[1] - round_ticks[0]), 1)
    ticks = list(range(lo, hi + 1, step))
    if ticks[-1] != hi:
        if hi - ticks[-1] <= step / 2 and len(ticks) > 1:
            ticks[-1] = hi  # too close to the last round tick: the end replaces it
        else:
            ticks.append(hi)
    return ticks


def _sci(value: float) -> str:
    """``1e40``, ``-2.5e-7``: :.3g without the exponent's plus sign and leading zeros."""
    text = f"{value:.3g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """Short labels that tell the ticks apart: as few decimals as the step needs, or
    scientific notation for huge and tiny values (never longer than ~9 characters)."""
    finite_ticks = [t for t in ticks if math.isfinite(t)]
    biggest = max((abs(t) for t in finite_ticks), default=0.0)
    if biggest >= 1e5 or 0 < biggest < 1e-3:
        return [_sci(t) for t in ticks]
    diffs = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if b > a]
    step = min(diffs, default=1.0)
    for decimals in range(0, 7):
        labels = [f"{t:.{decimals}f}" for t in ticks]
        if all(abs(float(label) - t) <= step * 1e-3 for label, t in zip(labels, ticks,
                                                                          strict=True)):
            break
    return [label[1:] if label.startswith("-") and float(label) == 0 else label
            for label in labels]  # no "-0.0"


def log_ticks(lo: float, hi: float, count: int) -> list[float]:
    """Ticks for a log axis, as log10 values covering ``[lo, hi]`` (log10 values too): the
    1-2-5 steps of each decade where at most ``count`` fit, else whole decades, else every
    second, fifth... decade. A range narrower than a factor of 2 either way is widened to it,
    so a constant learning rate sits between two labelled round values."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    lo, hi = min(lo, hi), max(lo, hi)
    if hi - lo < 2 * math.log10(2):
        mid = (lo + hi) / 2
        lo, hi = mid - math.log10(2), mid + math.log10(2)
    count = max(count, 2)
    first, last = math.floor(lo) - 10, math.ceil(hi) + 10
    for mantissas, every in (((1, 2, 5), 1), ((1, 3), 1), ((1,), 1), ((1,), 2), ((1,), 5),
                             ((1,), 10)):
        marks = [math.log10(m) + d for d in range(first, last + 1) if d % every == 0
                 for m in mantissas]
        below = [t for t in marks if t <= lo + 1e-9]
        above = [t for t in marks if t >= hi - 1e-9]
        if not below or not above:
            continue
        ticks = [t for t in marks if max(below) - 1e-9 <= t <= min(above) + 1e-9]
        if len(ticks) <= count:
            return ticks
    return [lo, hi]


def log_tick_labels(ticks: Sequence[float]) -> list[str]:
    """Labels of log10 ticks as the values they stand for: ``0.01``, ``0.05``, ``1e-4``."""
    labels = []
    for t in ticks:
        value = float(f"{10.0 ** t:.2g}")
        labels.append(_sci(value) if value < 1e-3 or value >= 1e5 else f"{value:g}")
    return labels


#: A run of at most this many epochs is drawn on its whole span from the start.
WHOLE_SPAN_EPOCHS = 20


def x_extent(last: int, planned: int, lo: int = 0) -> int:
    """The right end of the epoch axis when the data reaches epoch ``last`` of a run of
    ``planned`` epochs (0: not known).

    It moves as seldom as it can, because every move redraws every row of the chart (at
    120x40 that was most of the terminal output): a short run is drawn on its whole span
    from the first epoch (a progress bar of its own), a longer one doubles its axis when the
    data reaches the end (so it moves log2(epochs) times), never beyond the planned end
    unless the data does (a resumed run with more epochs).
    """
    last = max(last, lo + 1)
    if planned <= 0 or last > planned:
        return last
    if planned <= WHOLE_SPAN_EPOCHS:
        return planned
    return min(planned, 1 << max(last - 1, 1).bit_length())


def with_extra_ticks(ticks: list[float], extra: Sequence[float], rows: int) -> list[float]:
    """``ticks`` plus the values that must be labelled (``extra``: the W/b chart's true
    values), dropping round ticks too close to them to get a row of their own."""
    extra = [v for v in extra if math.isfinite(v)]
    if not extra or len(ticks) < 2:
        return ticks
    lo, hi = min(ticks), max(ticks)
    near = 0.99 * (hi - lo) / max(rows - 1, 1)  # labels on distinct rows
    kept = [t for t in ticks if all(abs(t - v) >= near for v in extra) or t in (lo, hi)]
    return sorted({*kept, *extra})


def drawn_values(values: Sequence[float], log: bool) -> tuple[float, ...]:
    """``values`` where a chart draws them: as they are, or on a log scale the log10 of the
    positive ones."""
    if not log:
        return tuple(values)
    return tuple(math.log10(v) for v in values if math.isfinite(v) and v > 0)
