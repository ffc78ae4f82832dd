"""The prediction gallery: validation images drawn in the terminal with their true and
predicted labels and the confidence, misclassified first (``m`` cycles the order).

Each image is half-block cells (see :mod:`.pictures`), at full size when a few of them fill
the page and at half size otherwise; as many as fit are shown. A gallery frame is tens of
kilobytes of terminal output, so it is drawn only when its data, order or size changed, at
most once per :data:`MIN_INTERVAL_S` for new predictions while the run goes on (a fast
run's epochs do not each redraw it; paused, stopped or finished, at once), and only the
lines that changed are repainted.
"""

from __future__ import annotations

import time
from typing import Any

from rich.color import Color
from rich.style import Style
from rich.text import Text

from ktui.core.events import Predictions, SampleSet
from ktui.ui.settings import settings_of
from ktui.ui.widgets.insight.pictures import (
    MODES,
    downscale,
    half_blocks,
    image_array,
    label_line,
    order,
    quantise,
    short_name,
    tile_size,
)
from ktui.ui.widgets.partial_static import PartialStatic

#: Seconds between two redraws for new predictions while training (a change of order or
#: size, a pause, the end: at once). A redraw is 40-60 KB at 120x40 (9 in 10 bytes are
#: colour codes: a truecolour pair a run of cells; a new order moves most pictures), so at 10 s
#: the gallery alone sent 4-6 KB/s (``python -m benchmarks.pages``).
MIN_INTERVAL_S = 30.0
#: Full-size images when at least this many fit; else half size.
MIN_FULL_SIZE = 6
#: A tile's column is at least this wide, so its labels read ("→Pullover 76%") even under a
#: small image.
LABEL_MIN = 13
WAITING = "prediction gallery: waiting for the validation sample"
NOT_IMAGES = "prediction gallery: for image data (this sample is a table)"
_RIGHT, _WRONG = Style(color="green"), Style(color="red", bold=True)


class GalleryView(PartialStatic):
    """Validation images with labels; :meth:`show` gives the data, :meth:`cycle_mode` the
    next order."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__("", id=id, classes="insight-gallery")
        self.mode = MODES[0]
        self.sample: SampleSet | None = None
        self.predictions: Predictions | None = None
        #: What was drawn last (epoch, mode, size) and when; a redraw waiting for its time.
        self._drawn: tuple[Any, ...] | None = None
        self._drawn_at = -1e9
        self._timer: Any = None
        self._styles: dict[tuple[Any, Any], Style] = {}
        self._tiles: dict[tuple[int, int, int], list[list[Any]]] = {}
        #: The positions drawn, in order (for tests and the title).
        self.shown: list[int] = []

    def show(self, sample: SampleSet | None, predictions: Predictions | None,
             now: bool = False) -> None:
        """New data; ``now``: draw it without waiting for the interval (the run is paused
        or over)."""
        self.sample, self.predictions = sample, predictions
        self._draw(now=now)

    def cycle_mode(self) -> str:
        """The next order (misclassified first → random → by class), drawn at once."""
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self._draw(now=True)
        return self.mode

    def on_resize(self) -> None:
        self._draw(now=True)

    def _interval(self) -> float:
        chosen = settings_of(self).chart_min_interval
        return MIN_INTERVAL_S if chosen is None else chosen

    def _draw(self, now: bool = False) -> None:
        epoch = self.predictions.epoch if self.predictions is not None else None
        key = (id(self.sample), epoch, self.mode, tuple(self.size))
        if key == self._drawn:
            return
        wait = self._drawn_at + self._interval() - time.monotonic()
        # Only newer predictions for what is on screen wait; a first sample, a first
        # prediction, another order or size are drawn at once.
        newer = (self._drawn is not None and self._drawn[1] is not None
                 and self._drawn[0] == key[0] and self._drawn[2:] == key[2:])
        if wait > 0 and newer and not now:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._later)
            return
        self._drawn, self._drawn_at = key, time.monotonic()
        self.show_text(self._render_text())

    def _later(self) -> None:
        self._timer = None
        self._draw(now=True)

    # ---- drawing ----------------------------------------------------------------------------
    def _style(self, upper: Any, lower: Any) -> Style:
        key = (upper, lower)
        style = self._styles.get(key)
        if style is None:
            # Both halves alike (most of a picture: its flat background): a space on that
            # background, whose colour code is half as long (~15 bytes less a run).
            style = (Style(bgcolor=Color.from_rgb(*lower)) if upper == lower else
                     Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower)))
            if len(self._styles) < 4096:
                self._styles[key] = style
        return style

    def _render_text(self) -> Text:
        sample, preds = self.sample, self.predictions
        width, height = max(self.size.width, 20), max(self.size.height, 6)
        if sample is None:
            return Text(WAITING, style="dim italic")
        if not sample.images or len(sample.image_shape) < 2:
            return Text(NOT_IMAGES, style="dim italic")
        n = len(sample.images)
        predicted = preds.predicted if preds is not None else ()
        confidence = preds.confidence if preds is not None else ()
        if preds is None:  # before the first epoch: the sample in its own order
            positions = list(range(n))
        else:
            positions = order(sample.targets, predicted, confidence, self.mode)
        scale, cols, rows = self._layout(sample.image_shape, width, height - 1)
        self.shown = positions[:cols * rows]
        tile_w, tile_h = tile_size(sample.image_shape, scale)
        col_w = max(tile_w, LABEL_MIN)
        lines = [self._title(sample, preds, len(self.shown), width)]
        for r in range(rows):
            band = self.shown[r * cols:(r + 1) * cols]
            if not band:
                break
            cells = [self._cells(sample, i, scale) for i in band]
            for y in range(tile_h):
                line = Text()
                for t, tile in enumerate(cells):
                    if t:
                        line.append(" ")
                    self._append_cells(line, tile[y] if y < len(tile) else [])
                    if t < len(cells) - 1:
                        line.append(" " * (col_w - tile_w))
                lines.append(line)
            lines.append(self._labels(band, sample, predicted, confidence, col_w, True))
            lines.append(self._labels(band, sample, predicted, confidence, col_w, False))
        return Text("\n").join(lines)

    def _cells(self, sample: SampleSet, i: int, scale: int) -> list[list[Any]]:
        """Image ``i`` of ``sample`` as half-block cells at ``scale`` (the sample is fixed
        for a run: each image is converted once)."""
        key = (id(sample), i, scale)
        cells = self._tiles.get(key)
        if cells is None:
            if len(self._tiles) > 512:
                self._tiles.clear()
            img = image_array(sample.images[i], sample.image_shape)
            cells = self._tiles[key] = half_blocks(quantise(downscale(img, scale)))
        return cells

    def _append_cells(self, line: Text, cells: list[Any]) -> None:
        """One tile's row of half blocks, a run of equal cells as one styled span (the
        terminal then gets one colour code per run, not per cell: an image's flat background
        is most of it; measured 150 -> 30 KB/s with the gallery on screen)."""
        run, count = None, 0
        for cell in cells:
            if cell == run:
                count += 1
                continue
            if run is not None:
                line.append(("▀" if run[0] != run[1] else " ") * count, self._style(*run))
            run, count = cell, 1
        if run is not None:
            line.append(("▀" if run[0] != run[1] else " ") * count, self._style(*run))

    def _layout(self, shape: tuple[int, ...], width: int, height: int) -> tuple[int, int, int]:
        """(scale, columns, rows) of tiles for a ``width`` × ``height`` area: full size when
        at least :data:`MIN_FULL_SIZE` fit, else half size, else a third when a third shows
        twice as many (at 80x24 half size fits one band and left 7 of 16 rows empty)."""
        fits: dict[int, tuple[int, int, int]] = {}
        for scale in (1, 2, 3):
            tile_w, tile_h = tile_size(shape, scale)
            cols = max((width + 1) // (max(tile_w, LABEL_MIN) + 1), 0)
            rows = max(height // (tile_h + 2), 0)
            if cols and rows:
                fits[scale] = (scale, cols, rows)
        if 1 in fits and fits[1][1] * fits[1][2] >= MIN_FULL_SIZE:
            return fits[1]
        if 2 in fits:
            half, third = fits[2], fits.get(3)
            if third and third[1] * third[2] >= 2 * half[1] * half[2]:
                return third
            return half
        return fits.get(3) or fits.get(1) or (2, 1, 1)

    def _labels(self, band: list[int], sample: SampleSet, predicted: tuple[float, ...],
                confidence: tuple[float, ...], width: int, true_line: bool) -> Text:
        names = sample.class_names
        line = Text()
        for t, i in enumerate(band):
            if t:
                line.append(" ")
            truth = int(sample.targets[i])
            name = names[truth] if truth < len(names) else str(truth)
            if true_line:
                line.append(label_line(short_name(name, width), width), style="dim")
                continue
            if i >= len(predicted):
                line.append(" " * width)
                continue
            guess = int(predicted[i])
            guess_name = names[guess] if guess < len(names) else str(guess)
            conf = f" {confidence[i]:.0%}" if i < len(confidence) else ""
            text = "→" + short_name(guess_name, max(width - 1 - len(conf), 1)) + conf
            line.append(label_line(text, width), style=_RIGHT if guess == truth else _WRONG)
        return line

    def _title(self, sample: SampleSet, preds: Predictions | None, shown: int,
               width: int) -> Text:
        """One line of ``width``: the parts that do not fit are left out, last first."""
        text = Text("prediction gallery", style="bold")
        if preds is None:
            text.append(f"  validation sample of {len(sample.images)} · before training",
                        style="dim")
            text.truncate(width)
            return text
        wrong = sum(1 for i in range(min(len(sample.targets), len(preds.predicted)))
                    if int(preds.predicted[i]) != int(sample.targets[i]))
        mode = "misclassified first" if self.mode == MODES[0] else self.mode
        text.append(f"  epoch {preds.epoch} · {mode}")
        text.append(f" · {wrong} of {len(preds.predicted)} wrong",
                    style="bold red" if wrong else "green")
        for extra in (f" · {shown} shown", " · m: order"):
            if text.cell_len + len(extra) > width:
                break
            text.append(extra, style="dim")
        text.truncate(width)
        return text


__all__ = ["MIN_INTERVAL_S", "MODES", "GalleryView"]
