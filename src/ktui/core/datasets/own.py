"""What the kinds of a user's own data (csv, npz, images) share: a path, the split settings,
and a :class:`DataCard` read from the data, from which the task, the shapes and the class
names come.

The card is cached by the settings it depends on and the file's identity (size, modification
time, inode), so the validator, which asks for the task and shapes on every edit of a form,
reads a file once. A large file (over :data:`QUICK_BYTES`) is not read on a thread that must
not wait (the TUI's, see :func:`set_waiting`): its card is *pending* until a worker has read
it, and validation says so instead of freezing the screen.

Loading carves validation and test sets out of the data (the file's own test split when it
has one), stratified by class (:mod:`.splits`), and standardises with the training rows only.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ktui.core.choices import Task
from ktui.core.datasets.base import DataError, DatasetSpec, ScriptConstant, Splits, count_words
from ktui.core.datasets.card import DataCard
from ktui.core.schema import MAX_SEED, SEED_NOTE, spec_field

if TYPE_CHECKING:
    import numpy as np

    from ktui.core.datasets.source import DataSource

#: A file this large is read in a worker by the TUI (about a second of parsing).
QUICK_BYTES = 8 * 1024 * 1024
_CARDS: OrderedDict[tuple, DataCard] = OrderedDict()
_CACHE_SIZE = 64
_LOCK = threading.Lock()
#: Threads that must not wait for a large file (the TUI's event loop).
_NO_WAIT: set[int] = set()


def set_waiting(waits: bool) -> None:
    """Whether the calling thread may read a large file when asked for its card (default:
    yes). The TUI's thread says no, and reads cards in a worker (:meth:`OwnData.read_card`)."""
    ident = threading.get_ident()
    if waits:
        _NO_WAIT.discard(ident)
    else:
        _NO_WAIT.add(ident)


def path_field(what: str) -> Any:
    return spec_field("path", "", label="path",
                      help=f"{what} (→ completes a path; ~ is your home)")


def test_split_field() -> Any:
    return spec_field("float", 0.1, label="test split", min=0, max=1, max_inclusive=False,
                      help="fraction held out for the final test (unless the data has its own)")


def seed_field() -> Any:
    return spec_field("int", 0, label="split seed", min=0, max=MAX_SEED, note=SEED_NOTE,
                      help="seed of the validation and test carving")


@dataclass(frozen=True, eq=False)
class Arrays:
    """What a kind reads from the data, before splitting and scaling."""

    x: np.ndarray
    y: np.ndarray
    #: The data's own test split, when it has one.
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    #: Standardise per column (a table) rather than with one mean and std (images).
    per_feature: bool = True
    #: How the values were prepared: "uint8 pixels scaled to [0, 1]".
    prepared: str = ""


def why_unreadable(path: str, err: OSError) -> str:
    """``data.csv: no such file (relative paths start from /home/me)``."""
    if isinstance(err, FileNotFoundError):
        where = "" if Path(path).expanduser().is_absolute() else \
            f" (a relative path starts from {os.getcwd()})"
        return f"{path}: no such file or folder{where}; check the path"
    return f"{path}: cannot read ({err.strerror or err})"


class OwnData(DatasetSpec):
    """A user's data at ``path``; subclasses read it (:meth:`inspect`, :meth:`read`)."""

    #: The task when the data has not said yet (no file chosen, or unreadable).
    fallback_task: ClassVar[Task] = "classification"
    #: The settings the card depends on (others, such as the splits, do not re-read it).
    card_fields: ClassVar[tuple[str, ...]] = ("path",)
    #: What the path names, for messages: "the CSV file".
    noun: ClassVar[str] = "the file"

    path: str
    test_split: float
    seed: int

    # ---- the card ---------------------------------------------------------------------------
    def file(self) -> Path:
        return Path(self.path).expanduser()

    def identity(self) -> tuple:
        """What changes when the data changes (size, time, inode); OSError if unreadable."""
        info = os.stat(self.file())
        return (info.st_size, info.st_mtime_ns, info.st_ino)

    def quick(self, identity: tuple) -> bool:
        """Whether reading the data's card takes well under a second."""
        return identity[0] <= QUICK_BYTES

    def inspect(self) -> DataCard:
        """Read the data's card; raise :class:`DataError` naming the first problem."""
        raise NotImplementedError

    def _key(self) -> tuple[tuple, tuple] | str:
        """(settings, identity) of the card, or the problem with the path that stops it."""
        if not isinstance(self.path, str) or not self.path.strip():
            return f"no {self.noun.removeprefix('the ')} chosen yet: type its path"
        try:
            identity = self.identity()
        except OSError as err:
            return why_unreadable(self.path, err)
        except ValueError:
            return f"{self.path!r}: not a valid path"
        settings = (self.kind, *(repr(getattr(self, f)) for f in self.card_fields))
        return settings, identity

    def card(self) -> DataCard:
        """The data's card: cached, else read now (or pending on a thread that must not wait
        for a large file)."""
        key = self._key()
        if isinstance(key, str):
            return DataCard(self.path, problem=key, problem_field="path")
        with _LOCK:
            cached = _CARDS.get(key)
        if cached is not None:
            return cached
        if threading.get_ident() in _NO_WAIT and not self.quick(key[1]):
            return DataCard(self.path, pending=True)
        return self.read_card(key)

    def read_card(self, key: Any = None) -> DataCard:
        """Read the card now, whatever the thread (the TUI's worker calls this)."""
        key = key or self._key()
        if isinstance(key, str):
            return DataCard(self.path, problem=key, problem_field="path")
        try:
            card = self.inspect()
        except DataError as err:
            card = DataCard(self.path, problem=str(err), problem_field=err.field)
        except MemoryError:
            card = DataCard(self.path, problem=f"{self.path}: too large to load into memory")
        with _LOCK:
            _CARDS[key] = card
            while len(_CARDS) > _CACHE_SIZE:
                _CARDS.popitem(last=False)
        return card

    # ---- what the validator and the model see --------------------------------------------------
    def chosen_task(self) -> str:
        """The task the settings impose: a ``task`` setting (``auto``: the data decides) or
        the kind's own."""
        return getattr(self, "task", "auto")

    def resolved_task(self) -> Task:
        chosen = self.chosen_task()
        if chosen in ("regression", "classification"):
            return chosen  # type: ignore[return-value]
        card = self.card()
        return card.task if card.usable and card.task else self.fallback_task

    def task_known(self) -> bool:
        return self.chosen_task() in ("regression", "classification") or self.card().usable

    def shape_known(self) -> bool:
        return super().shape_known() and self.card().usable

    def input_shape(self) -> tuple[int, ...]:
        card = self.card()
        return card.input_shape if card.usable else (1,)

    def output_shape(self) -> tuple[int, ...]:
        names = self.class_names()
        return (len(names),) if names else (1,)

    def class_names(self) -> tuple[str, ...]:
        card = self.card()
        return card.class_names if card.usable and self.resolved_task() == "classification" \
            else ()

    @property
    def target_words(self) -> str:  # type: ignore[override]
        name = Path(self.path).name or self.noun
        return f"the classes of {name}" if self.resolved_task() == "classification" else \
            f"the target of {name}"

    # ---- checks ----------------------------------------------------------------------------
    def cross_problems(self, bad: set[str], path: str) -> list[str]:
        if bad & set(self.card_fields):
            return []
        if not self.path.strip():
            return [f"{path}.path: give {self.noun} to train on"]
        card = self.card()
        if card.pending:
            return [f"{path}.path: reading {self.path}… (the data card shows it when done)"]
        if not card.problem:
            return []
        # the setting at fault, or the dataset as a whole when its data is (a bad cell)
        where = f"{path}.{card.problem_field}" if card.problem_field else path
        return [f"{where}: {card.problem}"]

    # ---- words ------------------------------------------------------------------------------
    def describe(self) -> str:
        card = self.card()
        if card.usable:
            return card.summary()
        if not isinstance(self.path, str) or not self.path.strip():
            return f"{self.title}: type the path of {self.noun} (→ completes)"
        return f"{self.path}: reading…" if card.pending else f"{self.path}: cannot be used yet"

    def in_words(self) -> str:
        name = Path(self.path).name or "no file"
        with _LOCK:
            known = [c for c in _CARDS.values() if c.path == self.path and c.usable]
        if not known:
            return name
        what = "rows" if len(known[-1].input_shape) == 1 else "images"
        return f"{name} ({count_words(known[-1].rows)} {what})"

    # ---- loading ----------------------------------------------------------------------------
    def read(self) -> Arrays:
        """Every sample, prepared (numbers, classes as indices), before splitting."""
        raise NotImplementedError

    def source(self) -> DataSource:
        """The data's identity for the run's record (path, size, time, sha256)."""
        from ktui.core.datasets.source import fingerprint

        return fingerprint(self.file())

    def load(self, validation_split: float, data_dir: str | None = None) -> Splits:
        from ktui.core.datasets.splits import apply_scale, carve, scale_of

        card = self.card()
        if card.problem:
            raise DataError(card.problem, card.problem_field)
        data = self.read()
        classes = data.y if self.resolved_task() == "classification" else None
        own_test = data.x_test is not None
        train, val, test = carve(len(data.x), classes, validation_split,
                                 0.0 if own_test else self.test_split, self.seed)
        if not len(train):
            raise DataError(f"{self.path}: {len(data.x)} samples leave none for training after "
                            "the validation and test splits; lower them or add samples")
        x_train, y_train = data.x[train], data.y[train]
        x_val, y_val = data.x[val], data.y[val]
        if own_test:
            x_test, y_test = data.x_test, data.y_test
        else:
            x_test, y_test = data.x[test], data.y[test]
        prepared = f", {data.prepared}" if data.prepared else ""
        del data
        scaled = ""
        if getattr(self, "standardize", False):
            mean, std = scale_of(x_train, per_feature=x_train.ndim == 2)
            for x in (x_train, x_val, x_test):
                apply_scale(x, mean, std)
            scaled = ", standardised with the training rows' mean and std"
        own = " (the test set is the data's own)" if own_test else ""
        return Splits(
            x_train, y_train, x_val, y_val, x_test, y_test,
            description=(f"{self.path}: {len(x_train)} train, {len(x_val)} validation, "
                         f"{len(x_test)} test samples{own}{prepared}{scaled}"))

    # ---- the exported script ----------------------------------------------------------------
    def split_constants(self) -> tuple[ScriptConstant, ...]:
        where = self.file()
        # A relative path that works from here is written absolute: the script may run
        # from another folder (a literal either way, never pasted into code).
        path = str(where.absolute()) if not where.is_absolute() and where.exists() \
            else self.path
        return (ScriptConstant("DATA_PATH", "dataset.path", path),
                ScriptConstant("TEST_SPLIT", "dataset.test_split", self.test_split),
                ScriptConstant("SPLIT_SEED", "dataset.seed", self.seed, integer=True),
                ScriptConstant("STRATIFY", "dataset.task",
                               self.resolved_task() == "classification"),
                ScriptConstant("STANDARDIZE", "dataset.standardize",
                               bool(getattr(self, "standardize", False))))
