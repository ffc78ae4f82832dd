"""What the model learned, as data for the views, the CLI and the run directory: the fixed
validation sample the gallery and the fitted-line view show, and a confusion matrix's
per-class accuracy, precision and recall. Pure numpy; no TensorFlow, no Textual."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Gallery: this many validation images per class (at most :data:`MAX_IMAGES` in all).
PER_CLASS = 4
MAX_IMAGES = 48
#: Fitted-line view: at most this many validation points.
MAX_POINTS = 200


def sample_indices(y: np.ndarray, classes: int, seed: int) -> np.ndarray:
    """Validation indices to show: for classes, up to :data:`PER_CLASS` of each class (so
    every class appears), else :data:`MAX_POINTS` points; fixed by ``seed``, sorted."""
    rng = np.random.default_rng(seed)
    n = len(y)
    if n == 0:
        return np.zeros(0, np.int64)
    if classes:
        labels = np.asarray(y).reshape(-1)
        chosen = []
        for c in range(classes):
            members = np.flatnonzero(labels == c)
            chosen.extend(rng.permutation(members)[:PER_CLASS].tolist())
        return np.sort(np.asarray(chosen[:MAX_IMAGES], np.int64))
    return np.sort(rng.permutation(n)[:MAX_POINTS]).astype(np.int64)


def display_images(x: np.ndarray) -> np.ndarray:
    """Images as uint8 for the terminal, each scaled from its own min to max (standardised
    pixels are not 0-255 any more; the picture's contrast is what matters)."""
    x = np.asarray(x, np.float64)
    axes = tuple(range(1, x.ndim))
    low = x.min(axis=axes, keepdims=True)
    span = np.maximum(x.max(axis=axes, keepdims=True) - low, 1e-12)
    return np.round((x - low) / span * 255).astype(np.uint8)


@dataclass(frozen=True)
class ClassStats:
    name: str
    support: int
    #: Of the examples of this class, the fraction predicted as it (recall, per-class
    #: accuracy); of those predicted as it, the fraction that are (precision). None: no
    #: example / no prediction.
    recall: float | None
    precision: float | None


def class_stats(matrix: np.ndarray, names: tuple[str, ...]) -> list[ClassStats]:
    """Per class (rows: true, columns: predicted)."""
    m = np.asarray(matrix, np.int64)
    out = []
    for i in range(len(m)):
        support, predicted = int(m[i].sum()), int(m[:, i].sum())
        out.append(ClassStats(
            names[i] if i < len(names) else str(i), support,
            m[i, i] / support if support else None,
            m[i, i] / predicted if predicted else None))
    return out


def accuracy(matrix: np.ndarray) -> float | None:
    m = np.asarray(matrix, np.int64)
    total = int(m.sum())
    return float(np.trace(m)) / total if total else None


def confusion_text(matrix: np.ndarray, names: tuple[str, ...], title: str) -> str:
    """The matrix as plain text (``ktui runs show --confusion``): counts, then per-class
    recall and precision; class names shortened to fit a terminal."""
    m = np.asarray(matrix, np.int64)
    short = [(names[i] if i < len(names) else str(i))[:10] for i in range(len(m))]
    width = max(5, *(len(str(int(v))) for v in m.ravel()))
    head = " " * 14 + " ".join(f"{i:>{width}}" for i in range(len(m)))
    lines = [title, "rows: true class, columns: predicted", head]
    for i, row in enumerate(m):
        lines.append(f"{i:>2} {short[i]:<10} " + " ".join(f"{int(v):>{width}}" for v in row))
    lines.append("")
    lines.append(f"{'class':<14}{'support':>8}{'recall':>9}{'precision':>11}")
    for s in class_stats(m, names):
        recall = "-" if s.recall is None else f"{s.recall:.3f}"
        precision = "-" if s.precision is None else f"{s.precision:.3f}"
        lines.append(f"{s.name[:14]:<14}{s.support:>8}{recall:>9}{precision:>11}")
    acc = accuracy(m)
    lines.append(f"accuracy {'-' if acc is None else f'{acc:.4f}'} of {int(m.sum())}")
    return "\n".join(lines)


def confusion_csv(matrix: np.ndarray, names: tuple[str, ...]) -> str:
    """``confusion.csv``: a header of predicted class names, one row per true class."""
    import csv
    import io

    m = np.asarray(matrix, np.int64)
    labels = [names[i] if i < len(names) else str(i) for i in range(len(m))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["true \\ predicted", *labels])
    for label, row in zip(labels, m, strict=True):
        writer.writerow([label, *(int(v) for v in row)])
    return out.getvalue()
