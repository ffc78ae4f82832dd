"""Where the dataset code was before :mod:`ktui.core.datasets`; kept for the callers that
still import it from here (the benchmarks, the tests' IDX helpers).

New code imports from :mod:`ktui.core.datasets` and its modules.
"""

from __future__ import annotations

from ktui.core.datasets import (
    DataCorruptError,
    DataError,
    DataMissingError,
    Splits,
    load_splits,
)
from ktui.core.datasets.fashion import (
    FASHION_CLASS_NAMES,
    FASHION_FILES,
    fashion_search_dirs,
    find_fashion_dir,
    load_fashion,
)
from ktui.core.datasets.idx import read_idx
from ktui.core.datasets.linear import load_linear

__all__ = [
    "FASHION_CLASS_NAMES", "FASHION_FILES", "DataCorruptError", "DataError", "DataMissingError",
    "Splits", "fashion_search_dirs", "find_fashion_dir", "load_fashion", "load_linear",
    "load_splits", "read_idx",
]
