"""A CSV file's header: its columns, its delimiter (given or detected) and which columns are
the target and the features; and how every message names a place in a file.

Only the first 64 KiB are read here; :mod:`.csv_read` streams the rows.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from ktui.core.datasets.base import DataCorruptError, DataError
from ktui.core.text import brief

#: The delimiters ``delimiter = "auto"`` tries, and the spec's names for them.
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|", "space": " "}


def place(path: Path | str, line: int | None = None, column: str | None = None) -> str:
    """``data.csv, line 7, column 'age'``: where a problem is, for every message."""
    text = str(path)
    if line is not None:
        text += f", line {line}"
    if column is not None:
        text += f", column {column!r}"
    return text


# ---- the header and the delimiter ---------------------------------------------------------------

def _text_head(path: Path, raw: bytes) -> str:
    """The first bytes as text (a UTF-8 BOM dropped), or the Latin-1 message naming the line."""
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=False)
    except UnicodeDecodeError as err:
        raise not_utf8(path, raw, err.start) from None


def not_utf8(path: Path, raw: bytes, start: int) -> DataCorruptError:
    line = raw.count(b"\n", 0, start) + 1
    return DataCorruptError(
        f"{place(path, line)}: not UTF-8 text (byte 0x{raw[start]:02x}); ktui reads UTF-8 CSV "
        "files: save it as UTF-8 (in a spreadsheet: CSV UTF-8)")


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into the most columns, the same number on
    every line (a comma when none does)."""
    best, width = ",", 1
    for delimiter in DELIMITERS.values():
        try:
            counts = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
        except csv.Error:
            continue
        if len(counts) == 1 and (n := counts.pop()) > width:
            best, width = delimiter, n
    return best


def read_header(path: Path, delimiter: str | None) -> tuple[tuple[str, ...], str]:
    """The column names and the delimiter, from the first 64 KiB of the file.

    Raises:
        DataError: The file cannot be read, is empty or not UTF-8, or its header is unusable.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read(65536)
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror or err})", "path") from None
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DataCorruptError(f"{path}: the file is empty; a CSV file needs a header row "
                               "(the column names) and one row per sample")
    if b"\0" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\0")) + 1
        raise DataCorruptError(f"{place(path, line)}: a NUL byte: this is not a text file; "
                               "give a CSV file")
    text = _text_head(path, raw)
    lines = text.splitlines()
    if len(raw) == 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short
    lines = [ln for ln in lines if ln.strip()][:20]
    delimiter = delimiter or sniff_delimiter(lines)
    header = next(csv.reader(lines[:1], delimiter=delimiter))
    names = tuple(name.strip() or f"column {i + 1}" for i, name in enumerate(header))
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise DataCorruptError(f"{place(path, 1)}: the column name {name!r} appears twice "
                                   f"(columns {seen[name] + 1} and {i + 1}); rename one")
        seen[name] = i
    if len(names) < 2:
        raise DataCorruptError(
            f"{place(path, 1)}: one column only ({brief(names[0])}); a CSV file needs feature "
            "columns and a target column (is the delimiter right? it can be set: "
            f"{', '.join(DELIMITERS)})", "delimiter")
    return names, delimiter


def choose_columns(path: Path, names: tuple[str, ...], target: str,
                   features: list[str]) -> tuple[str, tuple[str, ...]]:
    """The target (default: the last column) and the features (default: all the others)."""
    listed = ", ".join(names)
    listed = listed if len(listed) <= 200 else listed[:200] + "…"
    target = target or names[-1]
    if target not in names:
        raise DataError(f"{path}: no column {target!r} to use as the target (its columns: "
                        f"{listed}); set target to one of them", "target")
    if not features:
        return target, tuple(n for n in names if n != target)
    for name in features:
        if name not in names:
            raise DataError(f"{path}: no column {name!r} (in features; its columns: "
                            f"{listed})", "features")
        if name == target:
            raise DataError(f"{path}: column {name!r} is the target; it cannot be a feature "
                            "too", "features")
    if len(set(features)) != len(features):
        raise DataError(f"{path}: features lists a column twice", "features")
    return target, tuple(features)
