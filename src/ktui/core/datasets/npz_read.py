"""Reading a NumPy ``.npz`` file safely: never a pickle, every key, shape and dtype checked.

``np.load(..., allow_pickle=False)`` always: an array of Python objects is refused by numpy
and named here, never unpickled (unpickling runs code). Shapes and dtypes are read from each
member's ``.npy`` header first, so a card is made without loading the feature arrays.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktui.core.datasets.base import DataCorruptError, DataError

if TYPE_CHECKING:
    import numpy as np

#: The two layouts: Keras' ``mnist.npz`` (with an optional test split), or one set.
LAYOUTS = (("x_train", "y_train"), ("x", "y"))
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"


@dataclass(frozen=True)
class Header:
    """One member's ``.npy`` header: what it holds without reading it."""

    key: str
    shape: tuple[int, ...]
    dtype: np.dtype


class NpzFile:
    """An open ``.npz``: its keys, headers and arrays, each failure naming the file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as f:
                magic = f.read(4)
        except OSError as err:
            raise DataError(f"{path}: cannot read ({err.strerror or err})", "path") from None
        if magic not in (_ZIP_MAGIC, _EMPTY_ZIP):
            what = "empty" if not magic else "not a .npz file"
            raise DataCorruptError(f"{path}: {what}; ktui reads NumPy .npz files (np.savez "
                                   "or np.savez_compressed of x_train, y_train, ...)")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise DataCorruptError(f"{path}: a damaged .npz (zip) file ({err}); save it "
                                   "again") from None
        self.keys = tuple(n.removesuffix(".npy") for n in self.zip.namelist()
                          if n.endswith(".npy"))

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> NpzFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def where(self, key: str) -> str:
        return f"{self.path}, key {key!r}"

    def header(self, key: str) -> Header:
        """The shape and dtype of ``key``, from its header (object arrays refused here)."""
        import numpy as np

        try:
            with self.zip.open(f"{key}.npy") as f:
                version = np.lib.format.read_magic(f)
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                        else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read(f)
        except (ValueError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise DataCorruptError(f"{self.where(key)}: not a readable NumPy array ({err}); "
                                   "save the file again") from None
        if dtype.hasobject:
            raise self._pickled(key)
        return Header(key, tuple(int(d) for d in shape), dtype)

    def array(self, key: str) -> Any:
        """The array of ``key``, read with ``allow_pickle=False``."""
        import numpy as np

        self.header(key)
        try:
            with self.zip.open(f"{key}.npy") as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except ValueError as err:
            if "pickle" in str(err).lower() or "object" in str(err).lower():
                raise self._pickled(key) from None
            raise DataCorruptError(f"{self.where(key)}: not a readable NumPy array ({err}); "
                                   "save the file again") from None
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise DataCorruptError(f"{self.where(key)}: damaged ({err}); save the file "
                                   "again") from None

    def _pickled(self, key: str) -> DataCorruptError:
        return DataCorruptError(
            f"{self.where(key)}: holds Python objects (a pickle); ktui never unpickles (it "
            "can run code): save numeric arrays, e.g. np.savez(path, x=x.astype('float32'), "
            "y=y.astype('int64'))")

    def layout(self) -> tuple[str, str, str | None, str | None]:
        """The keys of (x, y, x_test, y_test) this file uses."""
        keys = set(self.keys)
        for x, y in LAYOUTS:
            if x in keys and y in keys:
                if x == "x_train":
                    tests = ("x_test" in keys, "y_test" in keys)
                    if tests == (True, True):
                        return x, y, "x_test", "y_test"
                    if any(tests):
                        have, lack = ("x_test", "y_test") if tests[0] else ("y_test", "x_test")
                        raise DataCorruptError(f"{self.path}: has {have} but no {lack}; give "
                                               "both, or neither")
                return x, y, None, None
            if x in keys or y in keys:
                have, lack = (x, y) if x in keys else (y, x)
                raise DataCorruptError(f"{self.path}: has {have} but no {lack}; a .npz needs "
                                       f"both (or x_train and y_train)")
        found = ", ".join(self.keys) or "no arrays at all"
        raise DataCorruptError(f"{self.path}: no x_train/y_train or x/y arrays (it has "
                               f"{found}); save the features as x_train (or x) and the "
                               "targets as y_train (or y)")


def check_features(h: Header, path: Path, train: Header | None = None) -> None:
    """A feature array: numbers, (N, F) or (N, H, W) or (N, H, W, C), some samples, and
    (a test set) the training set's sample shape."""
    where = f"{path}, key {h.key!r}"
    if h.dtype.kind not in "biuf":
        raise DataCorruptError(f"{where}: holds {h.dtype} values; features must be real "
                               "numbers (int, uint8, float)")
    if len(h.shape) not in (2, 3, 4):
        hint = "; one feature per sample? reshape it to (N, 1)" if len(h.shape) == 1 else ""
        raise DataCorruptError(f"{where}: shape {h.shape}; features must be (N, features), "
                               f"(N, height, width) or (N, height, width, channels){hint}")
    if h.shape[0] == 0 or 0 in h.shape:
        raise DataCorruptError(f"{where}: shape {h.shape} holds no samples")
    if train is not None and h.shape[1:] != train.shape[1:]:
        raise DataCorruptError(f"{where}: samples of shape {h.shape[1:]}, but {train.key}'s "
                               f"are {train.shape[1:]}; both must be the same")


def check_targets(h: Header, path: Path, x: Header) -> None:
    """A target array: numbers, (N,) or (N, 1), one per sample of ``x``."""
    where = f"{path}, key {h.key!r}"
    if h.dtype.kind not in "biuf":
        raise DataCorruptError(f"{where}: holds {h.dtype} values; targets must be integer "
                               "class indices or real numbers")
    if not (len(h.shape) == 1 or (len(h.shape) == 2 and h.shape[1] == 1)):
        raise DataCorruptError(f"{where}: shape {h.shape}; targets must be (N,) or (N, 1): one "
                               "class index or value per sample")
    if h.shape[0] != x.shape[0]:
        raise DataCorruptError(f"{where}: {h.shape[0]:,} targets, but {x.key} has "
                               f"{x.shape[0]:,} samples; they must be the same length")
