"""The pure parts of the confusion matrix and the gallery: names that fit, colour ramps,
which examples to show first, and images as half-block cells. No Textual, so each is tested
on its own (``tests/unit/test_insight_pictures.py``).

Half blocks (``▀``, the upper pixel as the foreground colour, the lower as the background) are
what ``shared/research/pictures.py`` measured to work everywhere: SVG snapshots, SSH, tmux and
the browser. Pixels are quantised to :data:`GRAY_LEVELS` levels, so a picture's flat background
is one run of one style (the terminal gets one colour code for the run, not one per cell).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

#: Gallery orders: the ``m`` key cycles them.
MODES = ("misclassified", "random", "by class")
#: Levels a pixel is rounded to (per channel).
GRAY_LEVELS = 8
#: A Cell: (upper pixel, lower pixel), each an (r, g, b) tuple.
Pixel = tuple[int, int, int]


def short_name(name: str, width: int) -> str:
    """A class name in at most ``width`` characters that still says which class it is:
    the name when it fits, else the part before a ``/`` (``T-shirt/top`` → ``T-shirt``),
    else the last word of several (``Ankle boot`` → ``Boot``), cut to ``width``."""
    name = _SPACES.sub(" ", name.strip()) or "?"
    if len(name) <= width:
        return name
    if "/" in name:
        name = name.split("/", 1)[0].strip() or name
    words = name.split()
    if len(name) > width and len(words) > 1:
        name = words[-1].capitalize()
    return name[:max(width, 1)]


def cell_style(fraction: float, diagonal: bool) -> str:
    """The background of a confusion cell holding ``fraction`` of its row: the diagonal
    (right answers) in a green ramp, errors in a red one, zero plain."""
    if fraction <= 0:
        return ""
    f = min(max(fraction, 0.0), 1.0)
    if diagonal:
        r, g, b = 20 + int(20 * f), 60 + int(140 * f), 30 + int(30 * f)
    else:
        f = math.sqrt(f)  # a few errors must show
        r, g, b = 60 + int(170 * f), 20 + int(30 * f), 25 + int(25 * f)
    fg = "#000000" if (r * 0.3 + g * 0.59 + b * 0.11) > 130 else "#ffffff"
    return f"{fg} on #{r:02x}{g:02x}{b:02x}"


def order(targets: Sequence[float], predicted: Sequence[float], confidence: Sequence[float],
          mode: str, seed: int = 0) -> list[int]:
    """Positions of the sample in the order ``mode`` shows them.

    ``misclassified``: the wrong ones first, most confident first, then the right ones;
    ``random``: a shuffle fixed by ``seed`` (the same on every redraw); ``by class``: the
    first example of each class in class order, then the others."""
    n = min(len(targets), len(predicted))
    if mode == "random":
        return [int(i) for i in np.random.default_rng(seed).permutation(n)]
    if mode == "by class":
        first: dict[int, int] = {}
        for i in range(n):
            first.setdefault(int(targets[i]), i)
        lead = [first[c] for c in sorted(first)]
        return lead + [i for i in range(n) if i not in set(lead)]
    conf = [confidence[i] if i < len(confidence) else 0.0 for i in range(n)]
    wrong = sorted((i for i in range(n) if int(predicted[i]) != int(targets[i])),
                   key=lambda i: -conf[i])
    return wrong + [i for i in range(n) if int(predicted[i]) == int(targets[i])]


def image_array(flat: Sequence[int], shape: Sequence[int]) -> np.ndarray:
    """A sample's flattened uint8 image back as (H, W, 3) RGB (grey repeated)."""
    img = np.asarray(flat, np.uint8).reshape(tuple(shape))
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return img[:, :, :3]


def downscale(img: np.ndarray, scale: int) -> np.ndarray:
    """``img`` (H, W, 3) averaged over ``scale`` × ``scale`` blocks (edges padded)."""
    if scale <= 1:
        return img
    h, w = img.shape[:2]
    ph, pw = -h % scale, -w % scale
    padded = np.pad(img.astype(np.float64), ((0, ph), (0, pw), (0, 0)), mode="edge")
    hh, ww = padded.shape[0] // scale, padded.shape[1] // scale
    return padded.reshape(hh, scale, ww, scale, 3).mean(axis=(1, 3)).round().astype(np.uint8)


def quantise(img: np.ndarray, levels: int = GRAY_LEVELS) -> np.ndarray:
    """Each channel rounded to ``levels`` evenly spaced values of 0-255."""
    step = 255 / (levels - 1)
    return (np.round(img / step) * step).round().astype(np.uint8)


def half_blocks(img: np.ndarray) -> list[list[tuple[Pixel, Pixel]]]:
    """(H, W, 3) as rows of cells, each the (upper, lower) pixel of a ``▀`` (an odd last
    row's lower half is black)."""
    h = img.shape[0]
    if h % 2:
        img = np.concatenate([img, np.zeros((1, *img.shape[1:]), img.dtype)])
    rows = []
    for y in range(0, img.shape[0], 2):
        upper, lower = img[y], img[y + 1]
        rows.append([(tuple(int(v) for v in upper[x]), tuple(int(v) for v in lower[x]))
                     for x in range(img.shape[1])])
    return rows


def tile_size(image_shape: Sequence[int], scale: int) -> tuple[int, int]:
    """Cells (width, height) of one image at ``scale`` (without its label lines)."""
    h, w = int(image_shape[0]), int(image_shape[1])
    hs, ws = math.ceil(h / scale), math.ceil(w / scale)
    return ws, math.ceil(hs / 2)


_SPACES = re.compile(r"\s+")


def label_line(text: str, width: int) -> str:
    """``text`` on one line of ``width`` cells (cut, padded)."""
    return _SPACES.sub(" ", text)[:width].ljust(width)


__all__ = ["GRAY_LEVELS", "MODES", "cell_style", "downscale", "half_blocks", "image_array",
           "label_line", "order", "quantise", "short_name", "tile_size"]
