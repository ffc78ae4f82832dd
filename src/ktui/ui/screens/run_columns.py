"""The runs list's columns and how they fit the terminal's width.

The status keeps its whole word at 80 columns; the age loses its "ago", the run's name loses
its date (the time and the experiment's name stay whole), the best metric abbreviates its
name (``val_acc``; the value stays whole), then the dataset is cut, and only then the name
and the metric again.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: Narrowest it gets before the next column is cut (None: never cut).
    min_width: int | None = None


COLUMNS = (
    Column("mark", ""), Column("run", "run", 16), Column("dataset", "dataset", 7),
    Column("epochs", "epochs"), Column("best", "best", 12), Column("status", "status"),
    Column("age", "age", 3),
)


def middle_ellipsis(text: str, width: int) -> str:
    """``text`` in ``width`` cells, cut in the middle: ``20260103-1…linear-gd``."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    head_cells = (keep + 1) // 2
    head = _take(text, head_cells)
    tail = _take(text[::-1], keep - cell_len(head))[::-1]
    return f"{head}…{tail}"


def end_ellipsis(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return _take(text, max(width - 1, 0)) + "…" if width > 0 else ""


def _take(text: str, cells: int) -> str:
    """The longest prefix of ``text`` that fits in ``cells``."""
    out, used = [], 0
    for char in text:
        used += cell_len(char)
        if used > cells:
            break
        out.append(char)
    return "".join(out)


def fit_widths(natural: dict[str, int], budget: int, run_floor: int = 0,
               best_floor: int = 0) -> dict[str, int]:
    """Column widths that fit ``budget`` cells. The run's name and the best metric give way
    first, the wider of the two each time (the name is cut in the middle, the metric's name
    before its value, so the date, the experiment and the value stay readable), the name
    only down to ``run_floor`` (its widest form without the date: time and experiment stay
    whole) and the metric to ``best_floor`` (its abbreviated form, ``val_acc 0.8716``);
    then the dataset and the age, each down to its minimum; then the name and the metric
    again. The status and the epochs always keep their whole text."""
    widths = dict(natural)
    minimum = {c.key: c.min_width or 0 for c in COLUMNS}
    excess = sum(widths.values()) - budget
    first = dict(minimum, run=max(minimum["run"], min(run_floor, natural["run"])),
                 best=max(minimum["best"], min(best_floor, natural["best"])))
    floors = (first, minimum)
    for floor in floors:
        while excess > 0:
            wide = [k for k in ("run", "best") if widths[k] > floor[k]]
            if not wide:
                break
            key = max(wide, key=lambda k: (widths[k], k == "run"))
            widths[key] -= 1
            excess -= 1
        if floor is minimum:
            break
        for key in ("dataset", "age"):
            if excess > 0:
                cut = max(min(excess, widths[key] - minimum[key]), 0)
                widths[key] -= cut
                excess -= cut
    return widths


def age_text(age: str, short: bool) -> str:
    """``12d ago`` -> ``12d`` and ``just now`` -> ``now`` when the table is short of room."""
    if not short:
        return age
    return "now" if age == "just now" else age.removesuffix(" ago")


#: Metric names as a narrow column writes them (``val_acc``, not ``val_accur…``).
_SHORT_METRICS = (("accuracy", "acc"), ("precision", "prec"), ("recall", "rec"),
                  ("crossentropy", "ce"))


def fit_best(text: str, width: int) -> str:
    """``val_accuracy 0.8716`` in ``width`` cells: the metric's name gives way, never the
    value: abbreviated first (``val_acc 0.8716``), then cut (``val_a… 0.8716``)."""
    name, _, value = text.rpartition(" ")
    if cell_len(text) <= width or not name:
        return end_ellipsis(text, width)
    room = width - cell_len(value) - 1
    if room < 2:
        return end_ellipsis(text, width)
    return f"{end_ellipsis(abbreviated(name), room)} {value}"


def abbreviated(text: str) -> str:
    """``val_acc 0.8716`` for ``val_accuracy 0.8716``: the narrowest whole form of a best
    metric."""
    for long, short in _SHORT_METRICS:
        text = text.replace(long, short)
    return text


def fit_run_name(name: str, width: int) -> str:
    """A run's folder name in ``width`` cells: whole when it fits, else without its date
    (``093000-linear-gd``: the age column says when), else cut in the middle."""
    if cell_len(name) <= width:
        return name
    return middle_ellipsis(undated_name(name), width)


def undated_name(name: str) -> str:
    """``093000-linear-gd`` for ``20260107-093000-linear-gd`` (other names unchanged)."""
    date, _, rest = name.partition("-")
    return rest if date.isdigit() and len(date) == 8 and rest else name
