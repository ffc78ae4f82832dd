"""Weight tensors reduced to the few plain numbers the events carry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ktui.core.events import LayerWeights, TensorStats

#: A weight tensor this small is reported value by value (W per feature of a linear model).
SMALL_TENSOR = 16
#: Bins of a tensor's histogram (the weights page's heat strips): fine enough to show a
#: distribution's shape, ~60 bytes of JSON per tensor and epoch.
HISTOGRAM_BINS = 20


def histogram(flat: np.ndarray) -> tuple[int, ...]:
    """Counts of :data:`HISTOGRAM_BINS` equal bins over the values' ``[min, max]`` (all in
    the first when they are equal); () for fewer than two values or any non-finite one."""
    if flat.size < 2 or not np.isfinite(flat).all():
        return ()
    lo, hi = float(flat.min()), float(flat.max())
    if hi <= lo:
        return (int(flat.size),) + (0,) * (HISTOGRAM_BINS - 1)
    counts, _ = np.histogram(flat, bins=HISTOGRAM_BINS, range=(lo, hi))
    return tuple(int(c) for c in counts)


def tensor_stats(array: np.ndarray) -> TensorStats:
    flat = np.asarray(array, dtype=np.float64).ravel()
    values = tuple(float(v) for v in flat) if flat.size <= SMALL_TENSOR else ()
    return TensorStats(size=int(flat.size), mean=float(flat.mean()), std=float(flat.std()),
                       norm=float(np.linalg.norm(flat)), min=float(flat.min()),
                       max=float(flat.max()), values=values,
                       histogram=histogram(flat))


def layer_weights(layers: Sequence[Any]) -> tuple[LayerWeights, ...]:
    """Kernel and bias (or a normalisation's gamma and beta; else a layer's first two
    trainable weights) of each layer that has trainable weights, as small statistics."""
    out = []
    for layer in layers:
        tensors = {w.path.rsplit("/", 1)[-1]: w for w in layer.trainable_weights}
        if not tensors:
            continue
        kernel = tensors.get("kernel", tensors.get("gamma"))
        bias = tensors.get("bias", tensors.get("beta"))
        if kernel is None and bias is None:  # a user's layer naming its weights its own way
            kernel, bias = (list(layer.trainable_weights) + [None])[:2]
        out.append(LayerWeights(
            layer=layer.name,
            kernel=tensor_stats(kernel.numpy()) if kernel is not None else None,
            bias=tensor_stats(bias.numpy()) if bias is not None else None,
        ))
    return tuple(out)
