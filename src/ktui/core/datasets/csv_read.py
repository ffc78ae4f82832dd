"""Reading a CSV file into one float32 feature table and a target, in one streaming pass.

How a file of a few hundred MB loads without several copies: the rows are counted first from
the raw bytes (newlines, 1 MiB at a time), a float32 array of that many rows is allocated
once, and the ``csv`` module's reader streams the text into it 8 192 rows at a time, each
block converted by numpy in C. The strings of a block are dropped once it is converted, so the
only large object is the table itself. Every problem is a :class:`DataCorruptError` naming the
file, the line and the column (``data.csv, line 7, column 'age': 'abc' is not a number``).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktui.core.choices import Task
from ktui.core.datasets.base import DataCorruptError, DataError
from ktui.core.datasets.csv_header import choose_columns, not_utf8, place, read_header
from ktui.core.text import brief

if TYPE_CHECKING:
    import numpy as np

#: ``task = "auto"``: integer or text targets with at most this many distinct values are classes.
AUTO_MAX_CLASSES = 50
#: ``task = "classification"``: more distinct values than this are not classes.
MAX_CLASSES = 1000
#: Cells that mean "no value" (compared without case): an error, never a class or a number.
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "nil", "?", "-", "#n/a"})
_BLOCK = 8192
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


@dataclass(frozen=True, eq=False)
class Table:
    """A CSV file read: features (float32, rows × features) and target, classes resolved."""

    columns: tuple[str, ...]
    features: tuple[str, ...]
    target: str
    delimiter: str
    #: float32 (rows, features).
    x: np.ndarray
    #: Classes: int32 indices into ``class_names``; regression: float32 (rows, 1).
    y: np.ndarray
    task: Task
    class_names: tuple[str, ...]
    #: Numeric classes: the value of each class (the script maps values to classes by it).
    class_values: tuple[float, ...] = ()


# ---- the rows ----------------------------------------------------------------------------------

def count_lines(path: Path) -> int:
    """Newlines in the file, plus one: at least the number of rows (quoted newlines only
    make it larger)."""
    lines = 1
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
    return lines


class _Reader:
    """One pass over the rows: features into a preallocated table, targets resolved."""

    def __init__(self, path: Path, names: tuple[str, ...], delimiter: str, target: str,
                 features: tuple[str, ...], task: str) -> None:
        import numpy as np

        self.np = np
        self.path, self.names, self.delimiter, self.task = path, names, delimiter, task
        self.target, self.features = target, features
        self.width = len(names)
        self.t_index = names.index(target)
        self.f_index = [names.index(n) for n in features]
        self.pick = itemgetter(*self.f_index)
        capacity = count_lines(path)
        self.x = np.empty((capacity, len(features)), dtype=np.float32)
        self.y = np.empty(capacity, dtype=np.float64)
        #: Raw target text -> first-seen code, while the targets have few distinct values.
        self.labels: dict[str, int] | None = {}
        self.codes = np.empty(capacity, dtype=np.int32)
        self.text_seen = False
        self.rows = 0

    def read(self) -> None:
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as f:
                reader = csv.reader(f, delimiter=self.delimiter, strict=True)
                next(reader, None)  # the header
                block: list[Any] = []
                targets: list[str] = []
                lines: list[int] = []
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank lines
                    if len(row) != self.width:
                        raise DataCorruptError(
                            f"{place(self.path, reader.line_num)}: {len(row)} fields, but the "
                            f"header has {self.width}; every row needs one value per column "
                            "(a missing or extra delimiter?)")
                    block.append(self.pick(row))
                    targets.append(row[self.t_index])
                    lines.append(reader.line_num)
                    if len(block) == _BLOCK:
                        self._convert(block, targets, lines)
                        block, targets, lines = [], [], []
                if block:
                    self._convert(block, targets, lines)
        except UnicodeDecodeError:
            raise self._decode_error() from None
        except csv.Error as err:
            raise DataCorruptError(f"{place(self.path, reader.line_num)}: not valid CSV "
                                   f"({err}); check the quotes on that line") from None
        except OSError as err:
            raise DataError(f"{self.path}: cannot read ({err.strerror or err})") from None

    def _decode_error(self) -> DataCorruptError:
        """The first line that is not UTF-8 (read again as bytes, only on this error)."""
        with open(self.path, "rb") as f:
            offset = 0
            for raw in f:
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    f.seek(0)
                    head = f.read(offset + err.start + 1)
                    return not_utf8(self.path, head, offset + err.start)
                offset += len(raw)
        return DataCorruptError(f"{self.path}: not UTF-8 text; save it as UTF-8")

    # ---- one block of rows ---------------------------------------------------------------------
    def _convert(self, block: list[Any], targets: list[str], lines: list[int]) -> None:
        np = self.np
        n = len(block)
        if len(self.f_index) == 1:
            block = [(v,) for v in block]
        try:
            values = np.array(block, dtype=np.float32)
        except ValueError:
            self._bad_cell(block, lines)
            raise AssertionError("a cell failed to convert but none was found") from None
        if not np.isfinite(values).all():
            r, c = np.argwhere(~np.isfinite(values))[0]
            self._missing_or_bad(lines[r], self.features[c], block[r][c])
        self.x[self.rows:self.rows + n] = values
        self._targets(targets, lines)
        self.rows += n

    def _bad_cell(self, block: list[Any], lines: list[int]) -> None:
        for r, row in enumerate(block):
            for c, cell in enumerate(row):
                try:
                    ok = math.isfinite(float(cell))
                except ValueError:
                    ok = False
                if not ok:
                    self._missing_or_bad(lines[r], self.features[c], cell)

    def _missing_or_bad(self, line: int, column: str, cell: str) -> None:
        where = place(self.path, line, column)
        text = cell.strip()
        if text.lower() in MISSING or text.lower() in ("-nan", "+nan"):
            raise DataCorruptError(f"{where}: missing value ({text!r}); ktui does not guess "
                                   "missing values: fill them in or drop the row")
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and not math.isfinite(number):
            raise DataCorruptError(f"{where}: {text!r} is not a finite number; replace it or "
                                   "drop the row")
        hint = (" (a decimal comma? ktui reads decimal points)" if _DECIMAL_COMMA.fullmatch(text)
                else "; features must be numbers: leave the column out by listing the "
                     "others (--features a,b or features = [...] under [dataset]), or encode "
                     "it as numbers")
        raise DataCorruptError(f"{where}: {brief(text)} is not a number{hint}")

    def _targets(self, targets: list[str], lines: list[int]) -> None:
        np = self.np
        start = self.rows
        try:
            values = np.array(targets, dtype=np.float64)
            numeric = bool(np.isfinite(values).all())
        except ValueError:
            numeric = False
        if numeric:
            self.y[start:start + len(targets)] = values
        else:
            for i, cell in enumerate(targets):
                self._one_target(cell, lines[i], start + i)
        if self.labels is not None:
            codes = self.codes
            for i, cell in enumerate(targets):
                code = self.labels.setdefault(cell.strip(), len(self.labels))
                codes[start + i] = code
                if len(self.labels) > MAX_CLASSES:
                    if self.text_seen:
                        self._too_many_classes(lines[i])
                    self.labels = None
                    break

    def _one_target(self, cell: str, line: int, row: int) -> None:
        text = cell.strip()
        where = place(self.path, line, self.target)
        if text.lower() in MISSING:
            raise DataCorruptError(f"{where}: missing target ({text!r}); every row needs its "
                                   "target: fill it in or drop the row")
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None:
            if not math.isfinite(number):
                raise DataCorruptError(f"{where}: the target {text!r} is not a finite number")
            self.y[row] = number
            return
        if self.task == "regression":
            raise DataCorruptError(f"{where}: {brief(text)} is not a number, and a regression "
                                   "target must be one (or set task = \"classification\")")
        if self.labels is None:
            raise DataCorruptError(
                f"{where}: {brief(text)} is text, but the column's other values are numbers "
                f"with more than {MAX_CLASSES} distinct values: fix that cell, or choose "
                "another target column")
        self.text_seen = True
        self.y[row] = math.nan

    def _too_many_classes(self, line: int) -> None:
        raise DataCorruptError(
            f"{place(self.path, line, self.target)}: more than {MAX_CLASSES} distinct text "
            "values by this line: too many to be classes; choose another target column")

    # ---- classes or values ---------------------------------------------------------------------
    def finish(self) -> Table:
        np = self.np
        n = self.rows
        if n == 0:
            raise DataCorruptError(f"{self.path}: a header but no data rows; add one row per "
                                   "sample")
        x, y = self.x[:n], self.y[:n]
        task, names, labels, values = self._resolve(y)
        target = y.astype(np.float32).reshape(-1, 1) if labels is None else labels
        return Table(self.names, self.features, self.target, self.delimiter, x, target, task,
                     names, values)

    def _resolve(self, y: np.ndarray
                 ) -> tuple[Task, tuple[str, ...], np.ndarray | None, tuple[float, ...]]:
        """The task, class names, class indices and (numeric classes) class values."""
        np = self.np
        path, column = self.path, self.target
        if self.text_seen:
            assert self.labels is not None
            names = sorted(self.labels)
            if self.task == "auto" and len(names) > AUTO_MAX_CLASSES:
                raise DataCorruptError(
                    f"{place(path, None, column)}: {len(names)} distinct text values: more "
                    f"than the {AUTO_MAX_CLASSES} classes task = \"auto\" takes; set task = "
                    "\"classification\" (up to 1000) or choose another target")
            remap = np.empty(len(names), dtype=np.int32)
            for index, name in enumerate(names):
                remap[self.labels[name]] = index
            classes = remap[self.codes[:self.rows]]
            return "classification", self._checked(tuple(names), classes), classes, ()
        values, inverse = np.unique(y, return_inverse=True)
        integral = bool(np.all(values == np.round(values)))
        task = self.task
        if task == "auto":
            task = ("classification" if integral and len(values) <= AUTO_MAX_CLASSES
                    else "regression")
        if task == "regression":
            return "regression", (), None, ()
        if len(values) > MAX_CLASSES:
            raise DataCorruptError(
                f"{place(path, None, column)}: {len(values):,} distinct values: too many to "
                f"be classes (at most {MAX_CLASSES}); use task = \"regression\"")
        names = tuple(_number_name(v) for v in values)
        classes = inverse.astype(np.int32).reshape(-1)
        return ("classification", self._checked(names, classes), classes,
                tuple(float(v) for v in values))

    def _checked(self, names: tuple[str, ...], classes: np.ndarray) -> tuple[str, ...]:
        if len(names) < 2:
            raise DataCorruptError(
                f"{place(self.path, None, self.target)}: every row has the same target "
                f"({brief(names[0])}); a classifier needs at least 2 classes")
        return names


def _number_name(value: float) -> str:
    """A class name for a numeric label: ``3`` rather than ``3.0``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def read_csv(path: Path, target: str, features: list[str], task: str,
             delimiter: str | None) -> Table:
    """The whole file as a :class:`Table`.

    Args:
        path: The CSV file.
        target: The target column's name; empty: the last column.
        features: The feature columns; empty: every other column.
        task: ``auto``, ``regression`` or ``classification``.
        delimiter: The delimiter character; None: detected from the first lines.

    Raises:
        DataError: A problem with the file, naming it and, where there is one, the line and
            the column.
    """
    names, delimiter = read_header(path, delimiter)
    target, chosen = choose_columns(path, names, target, features)
    reader = _Reader(path, names, delimiter, target, chosen, task)
    reader.read()
    return reader.finish()
