"""The setup view's training settings, grouped into sections that open and close.

``[train]`` has grown past one screen (devices, precision, schedules, early stopping, stop
rules...), so the form groups it by the question a person has in mind: how it trains (open at
first), how the run is steered and when it stops, and where and how fast it runs. Rows come
from the schema as everywhere else (:func:`setup_def`), the nested ``[train.schedule]`` and
``[train.early_stopping]`` tables at paths ``train.schedule.X``; this module only says which
section a row goes in and whether it applies now (a schedule's parameters only for the kinds
that read them, early stopping's once it is on).

A field of ``[train]`` that no section names still gets a row (in the first section), so a
setting added to the spec is never missing from the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible

from ktui.core.schema import table_of
from ktui.core.spec import TRAIN_TABLES, TrainSpec
from ktui.core.spec.steering import SCHEDULE_PARAMS
from ktui.ui.widgets.fields import FieldDef, setup_def

#: ``[train]`` fields per section, in the order shown ("schedule"/"early_stopping": the
#: whole nested table there).
TRAINING = ("loss", "optimizer", "learning_rate", "momentum", "nesterov", "weight_decay",
            "clip_norm", "clip_value", "metrics", "epochs", "batch_size", "validation_split",
            "seed", "shuffle", "model_style")
STEERING = ("schedule", "early_stopping", "stop_when", "max_minutes")
DEVICES = ("device", "strategy", "devices", "cpu_devices", "precision", "steps_per_execution",
           "jit_compile", "log_every")


@dataclass(frozen=True)
class Section:
    """One collapsible group of rows."""

    id: str
    title: str
    fields: tuple[FieldDef, ...]
    open: bool = False


def _table_defs(table: str) -> list[FieldDef]:
    """A nested table's rows: its first field (the kind, or the switch), then the rest,
    which :func:`is_sub` tells the form to indent under it."""
    return [setup_def(f"train.{table}.{f.name}", f) for f in table_of(TRAIN_TABLES[table])]


def is_sub(key: str) -> bool:
    """Whether the row at ``key`` is indented under its table's first one (a schedule's
    ``monitor`` and early stopping's are two, each under its own heading row)."""
    parts = key.split(".")
    if len(parts) != 3 or parts[1] not in TRAIN_TABLES:
        return False
    return table_of(TRAIN_TABLES[parts[1]])[0].name != parts[2]


def _defs(names: tuple[str, ...], train: dict[str, FieldDef]) -> list[FieldDef]:
    out: list[FieldDef] = []
    for name in names:
        if name in TRAIN_TABLES:
            out += _table_defs(name)
        elif name in train:
            out.append(train[name])
    return out


def build_sections() -> tuple[Section, ...]:
    """The sections, every ``[train]`` field and nested table in exactly one of them."""
    train = {f.name: setup_def(f"train.{f.name}", f) for f in table_of(TrainSpec)}
    named = {*TRAINING, *STEERING, *DEVICES}
    rest = tuple(name for name in train if name not in named)
    tables = tuple(name for name in TRAIN_TABLES if name not in named)
    return (
        Section("training", "Training", tuple(_defs(TRAINING + rest, train)), open=True),
        Section("steering", "Schedule & stopping",
                tuple(_defs(STEERING + tables, train))),
        Section("devices", "Devices & speed", tuple(_defs(DEVICES, train))),
    )


SECTIONS = build_sections()


def applies(train: Any, key: str) -> bool:
    """Whether the row at ``key`` means something with the other settings as they are: a
    schedule's parameter for the kinds that read it, early stopping's once it is on. A value
    that cannot say (a kind from a file that is no kind) shows everything."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "train":
        return True
    table, name = parts[1], parts[2]
    if table == "schedule" and name != "kind":
        params = SCHEDULE_PARAMS.get(getattr(getattr(train, "schedule", None), "kind", None))
        return params is None or name in params
    if table == "early_stopping" and name != "enabled":
        enabled = getattr(getattr(train, "early_stopping", None), "enabled", None)
        return enabled is not False
    return True


def problem_name(field: FieldDef) -> str:
    """How the problem line names a row: its label, or its path inside a nested table
    (``train.schedule.patience``, not a ``patience`` that early stopping has too)."""
    return field.key if field.key.count(".") >= 2 else field.label.strip()


class SettingsSection(Collapsible):
    """A collapsible group of rows whose title counts the problems inside it, so a closed
    section still says that it needs a look.

    A section composed closed gets ``make_rows`` instead of its rows and builds them when it
    first opens (then posts :class:`RowsAdded`); until then its problems are counted from
    the spec's own errors.
    """

    class RowsAdded(Message):
        """The rows of a section that opened for the first time are mounted."""

    def __init__(self, section: Section,
                 make_rows: Callable[[], Sequence[Widget]] | None = None) -> None:
        self._make_rows = make_rows  # before Collapsible sets ``collapsed`` (its watcher)
        super().__init__(title=section.title, collapsed=not section.open,
                         id=f"section-{section.id}", classes="settings-section")
        self.section = section
        self._problems = 0

    @property
    def rows_built(self) -> bool:
        return self._make_rows is None

    def watch_collapsed(self, collapsed: bool) -> None:
        if collapsed or self._make_rows is None or not self.is_attached:
            return
        make, self._make_rows = self._make_rows, None
        contents = self.query_one(Collapsible.Contents)

        async def add() -> None:
            await contents.mount_all(make())
            self.post_message(self.RowsAdded())

        self.call_next(add)

    def count_problems(self, errors: Sequence[str]) -> int:
        """The rows with a problem: the rows' own verdicts once built, else the spec's
        ``errors`` that name one of the section's fields."""
        from ktui.ui.widgets.fields import FieldRow

        if self.rows_built:
            return sum(r.error is not None for r in self.query(FieldRow))
        return sum(any(e.startswith((f.key + ":", f.key + "[")) for e in errors)
                   for f in self.section.fields)

    def show_problems(self, count: int) -> None:
        if count != self._problems:
            self._problems = count
            mark = f"  ⚠ {count}" if count else ""
            self.title = f"{self.section.title}{mark}"

    @property
    def problems(self) -> int:
        return self._problems

    def hint(self) -> Text:
        """The hint line's words while its title is focused."""
        state = "open" if not self.collapsed else "closed"
        return Text.assemble((self.section.title, "bold"),
                             f": {state}; enter opens or closes it",
                             (f" · {self._problems} to fix inside" if self._problems else "",
                              "bold red"))


__all__ = ["DEVICES", "SECTIONS", "STEERING", "TRAINING", "Section", "SettingsSection",
           "applies", "build_sections", "is_sub", "problem_name"]
