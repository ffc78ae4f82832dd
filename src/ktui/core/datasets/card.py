"""A data card: what a user's file holds, shown before training (the TUI's card, the CLI's
first lines) and what the validator asks a user's dataset (task, shapes, class names).

Pure Python: a card is made by the dataset kind that reads the file (csv_data, npz_data,
images) and cached there; here is only what it says and how it says it in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ktui.core.choices import Task
from ktui.core.datasets.base import count_words


@dataclass(frozen=True)
class DataCard:
    """What a user's data holds, or the first problem that stops it from being used."""

    #: The path as the spec gives it.
    path: str
    #: The first problem found ("" when the data can be used): names the file and the place.
    problem: str = ""
    #: The setting at fault (``path``, ``target``...), or "" when the data itself is.
    problem_field: str = ""
    #: Not read yet: a large file the TUI reads in the background (nothing else is known).
    pending: bool = False
    #: Samples in the file (all of them: the file's own test rows included).
    rows: int = 0
    #: Rows of the file's own test split (``x_test`` of an .npz); 0: carved from ``rows``.
    test_rows: int = 0
    #: One sample's shape as the model sees it.
    input_shape: tuple[int, ...] = ()
    #: A table's feature columns, in order.
    features: tuple[str, ...] = ()
    #: A table's target column, and the delimiter its columns are separated by.
    target: str = ""
    delimiter: str = ""
    task: Task | None = None
    #: Classes: their names (sorted) and how many samples each has.
    class_names: tuple[str, ...] = ()
    class_counts: tuple[int, ...] = ()
    #: Classes read from numbers (a CSV target of 0, 1, 2): the value of each.
    class_values: tuple[float, ...] = ()
    #: Regression: the target's smallest, mean and largest value.
    target_range: tuple[float, float, float] | None = None
    #: Regression: the target's standard deviation (the default model's output scale).
    target_std: float | None = None
    #: Facts worth a line: "pixels scaled from uint8 to [0, 1]", "2 files ignored: …".
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.problem and not self.pending

    def size_words(self) -> str:
        """``150 rows, 4 features`` for a table, ``12 images of 28×28×1`` for pictures (the
        data's own test split apart: ``(+ 100 test)``)."""
        rows = count_words(self.rows - self.test_rows)
        own = f" (+ {count_words(self.test_rows)} test)" if self.test_rows else ""
        if len(self.input_shape) == 1:
            n = self.input_shape[0]
            return f"{rows} rows{own}, {count_words(n)} feature{'s' * (n != 1)}"
        return f"{rows} images{own} of " + "×".join(str(d) for d in self.input_shape)

    def task_words(self) -> str:
        """``classification, 3 classes`` or ``regression``."""
        if self.task == "classification":
            return f"classification, {len(self.class_names)} classes"
        return str(self.task or "task unknown")

    def summary(self) -> str:
        """One line: ``iris.csv: 150 rows, 4 features → species (classification, 3
        classes)``."""
        if self.pending:
            return f"{self.path}: reading…"
        if self.problem:
            return self.problem
        target = f" → {self.target}" if self.target else ""
        name = Path(self.path).name or self.path
        return f"{name}: {self.size_words()}{target} ({self.task_words()})"

    def range_words(self) -> str:
        """``target from 1 to 148.5 (mean 74.75)``: a regression target's values."""
        if self.target_range is None:
            return ""
        low, mean, high = self.target_range
        return f"target from {low:.4g} to {high:.4g} (mean {mean:.4g})"

    def lines(self, bar_width: int = 20, max_classes: int = 12) -> list[str]:
        """The card as plain lines (the CLI's, and what a test reads): the summary, a bar per
        class or the target's range, and the notes."""
        out = [self.summary()]
        if not self.usable:
            return out
        if self.class_names:
            out += class_bars(self.class_names, self.class_counts, bar_width, max_classes)
        elif self.target_range is not None:
            out.append(f"  {self.range_words()}")
        out += [f"  {note}" for note in self.notes]
        return out


def class_bars(names: tuple[str, ...], counts: tuple[int, ...], width: int = 20,
               most: int = 12) -> list[str]:
    """One line per class, ``  setosa       ██████████ 50``, the longest bar ``width`` cells;
    beyond ``most`` classes, the rest in one line."""
    top = max(counts, default=0) or 1
    label = min(max((len(n) for n in names[:most]), default=0), 24)
    lines = []
    for name, count in list(zip(names, counts, strict=True))[:most]:
        cells = max(1, round(width * count / top)) if count else 0
        lines.append(f"  {name[:label]:<{label}} {'█' * cells}{' ' * (width - cells)} "
                     f"{count_words(count)}")
    if len(names) > most:
        rest = sum(counts[most:])
        lines.append(f"  … {len(names) - most} more classes ({count_words(rest)} samples)")
    return lines
