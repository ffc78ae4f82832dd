"""``kind = "csv"``: a user's CSV file, a header row and one row per sample.

The target is a column (default: the last), the features are numeric columns (default: all
the others). ``task = "auto"`` makes integer or text targets with at most 50 distinct values
classes (their names sorted) and anything else regression. Reading is :mod:`.csv_read`'s one
streaming pass; the table read for the card is kept (one file at a time) for the load, so a
run parses its file once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import ClassVar

from ktui.core.datasets.base import DataError, ScriptConstant
from ktui.core.datasets.card import DataCard
from ktui.core.datasets.csv_header import DELIMITERS
from ktui.core.datasets.csv_read import Table, read_csv
from ktui.core.datasets.own import (
    Arrays,
    OwnData,
    path_field,
    seed_field,
    test_split_field,
)
from ktui.core.schema import spec_field

TASK_CHOICES = ("auto", "classification", "regression")
#: The last table read, by its card's key: the load takes it instead of parsing again.
_LAST: dict[str, tuple[tuple, Table]] = {}
_LAST_LOCK = threading.Lock()


@dataclass
class CsvData(OwnData):
    """A CSV file with a header; numeric features and a target column."""

    kind: ClassVar[str] = "csv"
    title: ClassVar[str] = "a CSV file"
    help: ClassVar[str] = "your CSV file: a header, numeric features, a target column"
    fallback_task: ClassVar = "classification"
    card_fields: ClassVar[tuple[str, ...]] = ("path", "target", "features", "task",
                                              "delimiter")
    noun: ClassVar[str] = "the CSV file"
    form_order: ClassVar[tuple[str, ...]] = ("path", "target", "features", "task",
                                             "delimiter", "standardize", "test_split", "seed")

    path: str = path_field("the CSV file (a header row, one row per sample)")
    target: str = spec_field("str", "", label="target", max_len=200,
                             help="the column to predict (empty: the last column)")
    features: list[str] = spec_field("names", [], label="features",
                                     help="feature columns, by name, commas between (empty: "
                                          "all the others)")
    task: str = spec_field("choice", "auto", label="task", choices=TASK_CHOICES,
                           help="auto: integer or text targets with at most 50 values are "
                                "classes, anything else regression")
    delimiter: str = spec_field("choice", "auto", label="delimiter",
                                choices=("auto", *DELIMITERS),
                                help="auto: detected from the first lines")
    standardize: bool = spec_field("bool", True, label="standardize",
                                   help="scale each feature by the training rows' mean and std")
    test_split: float = test_split_field()
    seed: int = seed_field()

    def _delimiter(self) -> str | None:
        return DELIMITERS.get(self.delimiter)

    def _read_table(self) -> Table:
        return read_csv(self.file(), self.target, list(self.features), self.task,
                        self._delimiter())

    def inspect(self) -> DataCard:
        import numpy as np

        key = self._key()
        table = self._read_table()
        with _LAST_LOCK:
            _LAST.clear()
            if not isinstance(key, str):
                _LAST["table"] = (key, table)
        if table.task == "classification":
            counts = np.bincount(table.y, minlength=len(table.class_names))
            extra: dict = {"class_names": table.class_names,
                           "class_counts": tuple(int(c) for c in counts),
                           "class_values": table.class_values}
        else:
            y = table.y
            extra = {"target_range": (float(y.min()), float(y.mean(dtype=np.float64)),
                                      float(y.max())),
                     "target_std": float(y.std(dtype=np.float64))}
        named = {v: k for k, v in DELIMITERS.items()}[table.delimiter]
        notes = (f"features: {', '.join(table.features)}",
                 f"delimiter: {named}" + (" (detected)" if self.delimiter == "auto" else ""))
        return DataCard(self.path, rows=len(table.x), input_shape=(len(table.features),),
                        features=table.features, target=table.target, task=table.task,
                        delimiter=table.delimiter, notes=notes, **extra)

    def read(self) -> Arrays:
        key = self._key()
        with _LAST_LOCK:
            kept = _LAST.pop("table", None)
        table = kept[1] if kept is not None and kept[0] == key else self._read_table()
        if table.task != self.resolved_task():
            raise DataError(f"{self.path}: the file changed while it was being read; try again")
        return Arrays(table.x, table.y)

    # ---- the exported script ----------------------------------------------------------------
    def script_loader(self) -> str:
        from ktui.core.datasets.own_script import csv_loader

        return csv_loader()

    def script_constants(self) -> tuple[ScriptConstant, ...]:
        card = self.card()
        names = card.class_names if self.resolved_task() == "classification" else ()
        return (*self.split_constants(),
                ScriptConstant("TARGET", "dataset.target", card.target or self.target),
                ScriptConstant("FEATURES", "dataset.features", list(card.features)),
                ScriptConstant("DELIMITER", "dataset.delimiter", card.delimiter or ","),
                ScriptConstant("CLASS_NAMES", "dataset.target", list(names)),
                ScriptConstant("CLASS_VALUES", "dataset.target",
                               list(card.class_values) if names else []))

