"""``kind = "npz"``: a NumPy ``.npz`` file (``np.savez``) of features and targets.

Keys ``x_train``/``y_train`` with an optional ``x_test``/``y_test`` (Keras' ``mnist.npz``
layout: the file's own test split is used as it is) or ``x``/``y``; an optional
``class_names`` array of strings names the classes. Features are (N, F) tables or (N, H, W)
/ (N, H, W, C) images; uint8 images are scaled to [0, 1]. Integer targets are class indices
(0, 1, ...), float targets values to regress (``task`` can say otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ktui.core.datasets.base import DataCorruptError, ScriptConstant
from ktui.core.datasets.card import DataCard
from ktui.core.datasets.csv_read import MAX_CLASSES
from ktui.core.datasets.npz_read import NpzFile, check_features, check_targets
from ktui.core.datasets.own import Arrays, OwnData, path_field, seed_field, test_split_field
from ktui.core.schema import spec_field

if TYPE_CHECKING:
    import numpy as np

TASK_CHOICES = ("auto", "classification", "regression")


@dataclass
class NpzData(OwnData):
    """A NumPy .npz of x_train/y_train (+ x_test/y_test) or x/y."""

    kind: ClassVar[str] = "npz"
    title: ClassVar[str] = "a NumPy .npz file"
    help: ClassVar[str] = "your .npz: x_train/y_train (+ x_test/y_test) or x/y arrays"
    noun: ClassVar[str] = "the .npz file"
    card_fields: ClassVar[tuple[str, ...]] = ("path", "task")
    form_order: ClassVar[tuple[str, ...]] = ("path", "task", "standardize", "test_split",
                                             "seed")

    path: str = path_field("the .npz file (x_train, y_train, ... arrays)")
    task: str = spec_field("choice", "auto", label="task", choices=TASK_CHOICES,
                           help="auto: integer targets are classes, float targets regression")
    standardize: bool = spec_field("bool", False, label="standardize",
                                   help="scale by the training samples' mean and std (per "
                                        "column of a table, one for images)")
    test_split: float = test_split_field()
    seed: int = seed_field()

    def quick(self, identity: tuple) -> bool:
        return True  # the card reads headers and targets only

    # ---- reading ----------------------------------------------------------------------------
    def _targets(self, npz: NpzFile, keys: tuple[str, str, str | None, str | None]
                 ) -> tuple[str, np.ndarray, np.ndarray | None, tuple[str, ...]]:
        """The task, the training and test targets (classes as int32 indices, values as
        float32 (N, 1)) and the class names; every label checked."""
        import numpy as np

        x_key, y_key, xt_key, yt_key = keys
        x = npz.header(x_key)
        check_features(x, npz.path)
        check_targets(npz.header(y_key), npz.path, x)
        if xt_key and yt_key:
            xt = npz.header(xt_key)
            check_features(xt, npz.path, x)
            check_targets(npz.header(yt_key), npz.path, xt)
        y = npz.array(y_key).reshape(-1)
        y_test = npz.array(yt_key).reshape(-1) if yt_key else None
        task = self.task if self.task != "auto" else (
            "classification" if y.dtype.kind in "biu" else "regression")
        if task == "regression":
            for key, values in ((y_key, y), (yt_key, y_test)):
                if values is not None and not np.isfinite(values).all():
                    i = int(np.argmin(np.isfinite(values)))
                    raise DataCorruptError(f"{npz.where(str(key))}, sample {i}: the target is "
                                           "not a finite number")
            return task, y.astype(np.float32).reshape(-1, 1), (
                None if y_test is None else y_test.astype(np.float32).reshape(-1, 1)), ()
        names = self._class_names(npz)
        top = len(names) if names else None
        labels = [self._labels(npz, y_key, y, top)]
        if y_test is not None:
            labels.append(self._labels(npz, str(yt_key), y_test, top))
        count = top or max(int(v.max()) for v in labels) + 1
        if count > MAX_CLASSES:
            raise DataCorruptError(f"{npz.where(y_key)}: labels up to {count - 1}: more than "
                                   f"{MAX_CLASSES} classes; are these values to regress? set "
                                   "task = \"regression\"")
        if count < 2:
            raise DataCorruptError(f"{npz.where(y_key)}: every label is 0: one class only; a "
                                   "classifier needs at least 2")
        names = names or tuple(str(i) for i in range(count))
        return task, labels[0], labels[1] if y_test is not None else None, names

    def _labels(self, npz: NpzFile, key: str, y: np.ndarray, top: int | None) -> np.ndarray:
        import numpy as np

        if y.dtype.kind == "f":
            whole = np.isfinite(y) & (y == np.round(y))
            if not whole.all():
                i = int(np.argmin(whole))
                raise DataCorruptError(f"{npz.where(key)}, sample {i}: label {float(y[i]):g} is "
                                       "not a class index (0, 1, ...); float targets are "
                                       "regression")
        low, high = int(y.min()), int(y.max())
        if low < 0 or (top is not None and high >= top):
            bad = low if low < 0 else high
            i = int(np.argmax(y == bad))
            limit = f" (class_names has {top})" if top is not None else ""
            raise DataCorruptError(f"{npz.where(key)}, sample {i}: label {bad} is out of range"
                                   f"{limit}; labels are class indices 0, 1, 2, ...")
        return y.astype(np.int32)

    def _class_names(self, npz: NpzFile) -> tuple[str, ...]:
        if "class_names" not in npz.keys:
            return ()
        names = npz.array("class_names")
        if names.dtype.kind not in "US" or names.ndim != 1:
            raise DataCorruptError(f"{npz.where('class_names')}: must be a list of strings, "
                                   f"got {names.dtype} of shape {names.shape}")
        return tuple(str(n.decode() if isinstance(n, bytes) else n) for n in names)

    def inspect(self) -> DataCard:
        import numpy as np

        with NpzFile(self.file()) as npz:
            keys = npz.layout()
            task, y, y_test, names = self._targets(npz, keys)
            x = npz.header(keys[0])
            test = npz.header(keys[2]).shape[0] if keys[2] else 0
        notes = [f"keys: {', '.join(k for k in keys if k)}"]
        if x.dtype == np.uint8 and len(x.shape) > 2:
            notes.append("uint8 pixels scaled to [0, 1]")
        if test:
            notes.append(f"its own test split: {keys[2]}, {keys[3]}")
        extra: dict = {}
        if task == "classification":
            counts = np.bincount(y, minlength=len(names))
            extra = {"class_names": names, "class_counts": tuple(int(c) for c in counts)}
        else:
            extra = {"target_range": (float(y.min()), float(y.mean(dtype=np.float64)),
                                      float(y.max())),
                     "target_std": float(y.std(dtype=np.float64))}
        return DataCard(self.path, rows=x.shape[0] + test, test_rows=test,
                        input_shape=x.shape[1:], task=task,  # type: ignore[arg-type]
                        notes=tuple(notes), **extra)

    def read(self) -> Arrays:
        with NpzFile(self.file()) as npz:
            keys = npz.layout()
            _, y, y_test, _ = self._targets(npz, keys)
            scaled = npz.header(keys[0]).dtype == "uint8" and len(npz.header(keys[0]).shape) > 2
            x = self._features(npz, keys[0])
            x_test = self._features(npz, keys[2]) if keys[2] else None
        return Arrays(x, y, x_test, y_test, per_feature=x.ndim == 2,
                      prepared="uint8 pixels scaled to [0, 1]" if scaled else "")

    def _features(self, npz: NpzFile, key: str) -> np.ndarray:
        import numpy as np

        x = npz.array(key)
        if x.dtype == np.uint8 and x.ndim > 2:
            out = x.astype(np.float32)
            out /= np.float32(255)
            return out
        out = x.astype(np.float32, copy=False)
        if not np.isfinite(out).all():
            i = int(np.argwhere(~np.isfinite(out))[0][0])
            raise DataCorruptError(f"{npz.where(key)}, sample {i}: NaN or infinite values; "
                                   "replace them or drop the sample")
        return out

    # ---- the exported script ----------------------------------------------------------------
    def script_loader(self) -> str:
        from ktui.core.datasets.own_script import npz_loader

        return npz_loader()

    def script_constants(self) -> tuple[ScriptConstant, ...]:
        return (*self.split_constants(),
                ScriptConstant("REGRESSION", "dataset.task",
                               self.resolved_task() == "regression"))
