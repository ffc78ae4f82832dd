"""Tiny IDX files for tests: the format Fashion-MNIST ships in, written from numpy."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ktui.core.datasets.fashion import FASHION_FILES

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
          np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` encoded as an IDX file (big-endian header and data)."""
    code = _CODES[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when ``gz``."""
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def make_fashion(directory: Path, n_train: int = 100, n_test: int = 20, seed: int = 0,
                 gz: bool = True) -> dict[str, np.ndarray]:
    """A fake Fashion-MNIST of random pixels in ``directory``; returns the arrays, by role.

    Random images are all different, so a test can tell which ended up in which split.
    """
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for role, name in FASHION_FILES.items():
        write_idx(directory / (name if gz else name.removesuffix(".gz")), arrays[role], gz=gz)
    return arrays


