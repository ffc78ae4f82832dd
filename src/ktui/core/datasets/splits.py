"""Carving validation and test sets out of one table, and scaling by the training rows.

Pure numpy functions with no other import: the exporter copies them verbatim into a script
(:func:`ktui.core.export.sources.definitions`), so an exported script splits and scales a
user's file exactly as ktui did, row for row.
"""

from __future__ import annotations

import numpy as np


def share(sizes: np.ndarray, count: int) -> np.ndarray:
    """``count`` items shared among groups of ``sizes`` in proportion to them (largest
    remainder, ties to the earlier group), so the shares add up to ``count`` exactly."""
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    if total == 0 or count <= 0:
        return np.zeros_like(sizes)
    exact = sizes * (count / total)
    base = np.minimum(np.floor(exact).astype(np.int64), sizes)
    left = count - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:left]] += 1
    return base


def carve(n: int, labels: np.ndarray | None, val_fraction: float, test_fraction: float,
          seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of the training, validation and test sets, each in the file's order.

    The test set takes ``round(n * test_fraction)`` rows (pass 0 when the file has its own),
    validation ``round((n - test) * val_fraction)`` of the rest, training what is left. The
    rows are drawn in the order of one permutation seeded with ``seed``; with ``labels``
    (classes) every class gives each set its share, so all three keep the classes'
    proportions (stratified).
    """
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(n * test_fraction)
    n_val = round((n - n_test) * val_fraction)
    role = np.zeros(n, dtype=np.int8)  # 0 training, 1 validation, 2 test
    if labels is None:
        role[order[:n_test]] = 2
        role[order[n_test:n_test + n_val]] = 1
    else:
        _, inverse = np.unique(np.asarray(labels)[order], return_inverse=True)
        sizes = np.bincount(inverse)
        tests = share(sizes, n_test)
        vals = share(sizes - tests, n_val)
        by_class = np.argsort(inverse, kind="stable")
        starts = np.cumsum(sizes) - sizes
        rank = np.empty(n, dtype=np.int64)
        rank[by_class] = np.arange(n) - np.repeat(starts, sizes)
        held = tests[inverse]
        role[order] = np.where(rank < held, 2, np.where(rank < held + vals[inverse], 1, 0))
    return tuple(np.flatnonzero(role == r) for r in (0, 1, 2))


def scale_of(x_train: np.ndarray, per_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the training rows (float64 sums, float32 results): per column of a
    table, or one of each for images; a std of 0 becomes 1 (nothing to scale)."""
    axis = 0 if per_feature else None
    mean = np.asarray(x_train.mean(axis=axis, dtype=np.float64))
    std = np.asarray(x_train.std(axis=axis, dtype=np.float64))
    std = np.where(std > 0, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def apply_scale(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(x - mean) / std`` in place on a float32 array (no second copy)."""
    x -= mean
    x /= std
    return x
