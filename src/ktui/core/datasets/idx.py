"""IDX files, the format of MNIST and Fashion-MNIST: parsed with every header field checked."""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from ktui.core.datasets.base import DataCorruptError, DataError

if TYPE_CHECKING:
    import numpy as np

#: Said after every damaged-file message.
REFETCH_HINT = "the file is damaged: download it again or reinstall dataset-fashion-mnist"

#: IDX type code -> big-endian numpy dtype (the IDX format stores everything big-endian).
_IDX_DTYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (the format of MNIST and Fashion-MNIST) into a numpy array.

    The file may be gzip-compressed (detected by its first bytes, so a decompressed copy that
    kept its ``.gz`` name still works). Everything in the header is checked, because a file
    truncated by an interrupted download otherwise turns into a confusing reshape error deep in
    training.

    Args:
        path: The IDX file.

    Returns:
        A writable array with the file's shape and a native-endian dtype.

    Raises:
        DataError: The file cannot be read.
        DataCorruptError: Not gzip data though named ``.gz``, a bad magic number, an unknown
            type code, or a payload that is not exactly the size the header promises.
    """
    import numpy as np  # imported with the first file read: checking a spec needs none

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror or err})") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataCorruptError(f"{path}: not valid gzip data ({err}); {REFETCH_HINT}") \
                from None
    elif path.suffix == ".gz" and raw[:2] != b"\0\0":
        raise DataCorruptError(f"{path}: named .gz but is neither gzip nor IDX data; "
                               f"{REFETCH_HINT}")

    if len(raw) < 4:
        raise DataCorruptError(f"{path}: truncated: the IDX header needs 4 bytes, found "
                               f"{len(raw)}; {REFETCH_HINT}")
    zero1, zero2, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 or zero2:
        raise DataCorruptError(f"{path}: bad magic number 0x{raw[:4].hex()} (an IDX file starts "
                               f"with two zero bytes); {REFETCH_HINT}")
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise DataCorruptError(f"{path}: unknown IDX type code 0x{code:02X} (expected one of "
                               f"{known}); {REFETCH_HINT}")
    if ndim < 1:
        raise DataCorruptError(f"{path}: the IDX header says 0 dimensions; {REFETCH_HINT}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataCorruptError(f"{path}: truncated: the IDX header needs {header} bytes, found "
                               f"{len(raw)}; {REFETCH_HINT}")
    dims = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = math.prod(dims) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise DataCorruptError(f"{path}: truncated: expected {expected} bytes of data, found "
                               f"{found}; {REFETCH_HINT}")
    if found > expected:
        raise DataCorruptError(f"{path}: {found - expected} unexpected bytes after the data "
                               f"(expected {expected} bytes for shape {dims}); {REFETCH_HINT}")
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(dims), offset=header)
    # astype copies: the result is writable and native-endian, and no longer pins `raw`.
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(dims)
