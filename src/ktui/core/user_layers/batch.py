"""The batch the author checks feed a user layer: rows of the real training data.

A random N(0, 1) batch lies about layers that expect something else: an embedding of
``vocab_size = 2`` gets indices -2..3 and fails although every row of the data is 0 or 1
(issue 22, item 5). So the checks take the first :data:`BATCH` training rows as the trainer
gets them (the dataset's own loading, split and scaling), passed through the layers before
the user's one, and fall back to random input only when no data can be loaded; the batch
says which it is (:attr:`CheckBatch.source`), and the checks say "random input" then.

The loaded rows are kept (only :data:`BATCH` of them, for the last dataset asked), so a
stack of several user layers, and the trainer after the CLI, load the data once.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from typing import Any

from ktui.core.catalog import Shape, format_shape
from ktui.core.user_layers.shapes import frozen

#: Samples in the batch the checks run on.
BATCH = 8

_lock = threading.Lock()
#: (dataset key, the rows or why there are none), for the last dataset asked.
_rows: list[tuple[tuple[Any, ...], Any]] = []


@dataclass(frozen=True, eq=False)  # eq=False: an array does not compare with ==
class CheckBatch:
    """The input of one layer's checks and where it came from."""

    x: Any  # a numpy array (BATCH, *shape)
    #: ``8 rows of the training data`` or ``random input N(0, 1) (why: ...)``.
    source: str
    #: Why the data could not be used ("" when it was): the input is random then.
    why_random: str = ""

    @property
    def random(self) -> bool:
        return bool(self.why_random)

    @property
    def token(self) -> str:
        """Tells batches apart (a check's result, which says where its input came from, is
        kept per batch)."""
        import numpy as np

        x = np.ascontiguousarray(self.x)
        digest = hashlib.sha256(x.tobytes()).hexdigest()[:16]
        return f"{x.dtype}{x.shape}:{digest}:{self.source}"


def random_batch(shape: Shape, seed: int = 0, why: str = "no data was given") -> CheckBatch:
    """N(0, 1) input of :data:`BATCH` samples (what the checks fall back to), with why."""
    import numpy as np

    x = np.random.default_rng(seed).standard_normal((BATCH, *shape)).astype("float32")
    return CheckBatch(x, f"random input N(0, 1) of {BATCH} ({why})", why)


def _dataset_key(spec: Any, data_dir: str | None) -> tuple[Any, ...]:
    """The dataset as asked: its kind and settings, the split, the folder, and the
    modification time of a file it names (an edited CSV is loaded again)."""
    values = spec.dataset.values()
    path = values.get("path")
    try:
        stamp = os.stat(os.path.join(data_dir or "", str(path))).st_mtime_ns if path else 0
    except (OSError, ValueError):
        stamp = -1
    return (type(spec.dataset).__name__, frozen(values), spec.train.validation_split,
            data_dir, stamp)


def data_rows(spec: Any, data_dir: str | None = None) -> Any:
    """The first :data:`BATCH` training rows of ``spec``'s data (a numpy array, as the
    trainer gets them), or a string saying why there are none. Never raises."""
    try:
        key = _dataset_key(spec, data_dir)
    except Exception as err:  # noqa: BLE001 - a spec mid-edit
        return f"the dataset is not set up ({type(err).__name__}: {err})"
    with _lock:
        if _rows and _rows[0][0] == key:
            return _rows[0][1]
    rows = _load(spec, data_dir)
    with _lock:
        _rows[:] = [(key, rows)]
    return rows


def _load(spec: Any, data_dir: str | None) -> Any:
    import numpy as np

    from ktui.core.datasets import DataError

    try:
        splits = spec.dataset.load(spec.train.validation_split, data_dir)
    except DataError as err:
        return f"the data could not be loaded: {err}"
    except Exception as err:  # noqa: BLE001 - a loader's bug must not stop the checks
        return f"the data could not be loaded: {type(err).__name__}: {err}"
    if not len(splits.x_train):
        return "the training set is empty"
    return np.array(splits.x_train[:BATCH])


def _through(spec: Any, index: int, rows: Any) -> Any:
    """``rows`` passed through the spec's layers before ``index`` (inference mode), as the
    trainer's model builds them."""
    import numpy as np

    from ktui.core.build import make_layer

    x = rows
    for i, layer in enumerate(spec.layers[:index]):
        x = make_layer(layer, i, spec.train.seed)(x, training=False)
    return np.asarray(x)


def batch_for(spec: Any, index: int, shape: Shape, data_dir: str | None = None,
              seed: int = 0) -> CheckBatch:
    """The checks' input for the layer at ``index`` of ``spec`` (whose input is ``shape``):
    training rows through the layers before it, else random input with why. Runs
    TensorFlow (and the user's code, for a user layer before it): off the UI thread."""
    rows = None if spec is None else data_rows(spec, data_dir)
    if rows is None:
        return random_batch(shape, seed)
    if isinstance(rows, str):
        return random_batch(shape, seed, rows)
    from ktui.core.tfenv import import_tf

    import_tf()
    try:
        x = _through(spec, index, rows)
    except Exception as err:  # noqa: BLE001 - a layer before it that fails on the data
        why = " ".join(str(err).split())[:200]
        return random_batch(shape, seed, f"the layers before it failed on the data: "
                                         f"{type(err).__name__}: {why}")
    if tuple(x.shape[1:]) != tuple(shape):
        return random_batch(shape, seed, f"the data gives it {format_shape(x.shape[1:])}")
    noun = "row" if len(x) == 1 else "rows"
    before = f", through layers 1-{index}" if index > 1 else ", through layer 1" \
        if index == 1 else ""
    return CheckBatch(x, f"{len(x)} {noun} of the training data{before}")


__all__ = ["BATCH", "CheckBatch", "batch_for", "data_rows", "random_batch"]
