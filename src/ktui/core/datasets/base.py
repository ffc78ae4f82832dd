"""What every dataset kind answers: the interface the spec, the validator, the forms, the
trainer and the run views talk to, so that none of them asks which kind it holds.

A kind is a dataclass subclassing :class:`DatasetSpec`, its settings declared with
:func:`ktui.core.schema.spec_field` (the one description the TOML reader, the validator and
the setup form use). Loading returns :class:`Splits`; every failure a user can cause is a
:class:`DataError` whose message says what is wrong and how to fix it. Nothing here imports
numpy or TensorFlow: describing and checking a dataset is instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ktui.core.choices import Task
from ktui.core.schema import Field, check_values, table_of, values_of

if TYPE_CHECKING:
    import numpy as np

    from ktui.core.datasets.source import DataSource


class DataError(Exception):
    """A dataset cannot be loaded; the message is for users and says how to fix it.

    ``field`` names the setting to change when one is at fault (a user's CSV ``target`` that
    is no column: ``dataset.target``); empty when the data itself is (a bad cell: ``dataset``).
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DataMissingError(DataError):
    """The data was not found; the message names every place looked in."""


class DataCorruptError(DataError):
    """A dataset file exists but is not what it should be; the message names the file."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing numpy arrays with == is ambiguous
class Splits:
    """Training, validation and test arrays, ready for ``tf.data``.

    Images are float32 ``(N, 28, 28)`` with int32 labels ``(N,)``; linear data is float32
    ``(N, n_features)`` with float32 targets ``(N, 1)``. Validation and test sets may have 0
    rows (with the right trailing shape) when the experiment has none.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    #: The generating W and b of synthetic linear data, so charts can show the target values;
    #: empty / None when unknown (Fashion-MNIST, explicit points).
    true_w: tuple[float, ...] = ()
    true_b: float | None = None
    #: One line for humans: what was loaded, from where, and how it was normalised.
    description: str = ""


class ScriptConstant(NamedTuple):
    """One setting of an exported script, written as ``NAME = literal`` in its settings block
    (the exporter checks that the value can be one)."""

    name: str
    #: The spec path a refusal names: ``dataset.n``.
    where: str
    value: Any
    #: Must be an int (a count, a seed): any other value would make a script that misbehaves.
    integer: bool = False


class DatasetSpec:
    """A dataset kind: its settings (dataclass fields), its task and shapes, and how to load it.

    Class attributes say what the kind is; instances hold one experiment's settings.
    """

    #: The name in specs (``[dataset] kind = ...``) and in the form's choice.
    kind: ClassVar[str]
    #: How messages name it: "Switched to the linear dataset".
    title: ClassVar[str]
    #: One line for the kind's choice in the form.
    help: ClassVar[str]
    task: ClassVar[Task]
    #: What the model's output is compared with, for messages: "Fashion-MNIST labels".
    target_words: ClassVar[str]
    #: Settings the input shape depends on: while one is invalid the shape is unknown.
    shape_fields: ClassVar[tuple[str, ...]] = ()
    #: The order the setup form lists the settings in, where it is not the file's order.
    form_order: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def fields(cls) -> tuple[Field, ...]:
        """The kind's settings, in the order the spec file lists them."""
        return table_of(cls)

    @classmethod
    def form_fields(cls) -> tuple[Field, ...]:
        """The settings the setup form shows (those with a label), in the form's order."""
        shown = [f for f in cls.fields() if f.label]
        if cls.form_order:
            shown.sort(key=lambda f: cls.form_order.index(f.name))
        return tuple(shown)

    def values(self) -> dict[str, Any]:
        return values_of(self)

    # ---- checks ---------------------------------------------------------------------------------
    def problems(self, path: str = "dataset") -> list[str]:
        """Every problem with the settings, each as ``dataset.n: ...``: wrong types, then
        values out of range, then what only the settings together can say."""
        problems, bad = check_values(self.fields(), self.values(), at=lambda k: f"{path}.{k}: ")
        return problems + self.cross_problems(bad, path)

    def cross_problems(self, bad: set[str], path: str) -> list[str]:
        """Problems of settings taken together; ``bad`` names the settings that have their own
        problem (skip what depends on them)."""
        return []

    def resolved_task(self) -> Task:
        """The task the model learns: the kind's own, or, for a user's file whose task is
        ``auto``, the one its data decides (``ExperimentSpec.task`` asks this)."""
        return self.task

    def task_known(self) -> bool:
        """Whether the task is known yet (a user's file not read, or unreadable: the loss and
        metrics cannot be judged against it, so the validator skips that check)."""
        return True

    def shape_known(self) -> bool:
        """Whether the settings the input shape depends on are valid."""
        values = self.values()
        return all(f.check(values[f.name]) is None for f in self.fields()
                   if f.name in self.shape_fields)

    # ---- what the model sees ----------------------------------------------------------------
    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape, without the batch."""
        raise NotImplementedError

    def output_shape(self) -> tuple[int, ...]:
        """The model's output for one sample: 1 value, or one logit per class."""
        raise NotImplementedError

    def class_names(self) -> tuple[str, ...]:
        """Label index -> class name; ``()`` for regression."""
        return ()

    def source(self) -> DataSource | None:
        """The identity of the user's data (path, size, time, sha256) a run records, so a
        resume can refuse a file that changed; None for built-in data. Reads the whole file.

        Raises:
            DataError: The data cannot be read.
        """
        return None

    def true_params(self) -> tuple[tuple[float, ...], float] | None:
        """The W and b the data was generated with (the charts show them as targets), or
        None when there are none (real data, explicit points)."""
        return None

    # ---- words ------------------------------------------------------------------------------
    def describe(self) -> str:
        """One line on what will be loaded, for the setup view; loads nothing."""
        raise NotImplementedError

    def in_words(self) -> str:
        """The data in a few words, for an experiment's description: ``linear data (1 000
        samples)``."""
        raise NotImplementedError

    def split_note(self, validation_split: float) -> str:
        """A remark on how ``validation_split`` divides this data, when it may surprise
        (validation outnumbering training), else ""; loads nothing."""
        return ""

    # ---- the exported script ----------------------------------------------------------------
    def script_loader(self) -> str:
        """Python source of the exported script's ``load_data()``: numpy and the standard
        library only (the script never imports ktui), returning ``(x, y)`` pairs for training,
        validation and test (None where there is none) exactly as :meth:`load` makes them.
        It reads ``VALIDATION_SPLIT`` and the constants of :meth:`script_constants`.
        Empty: this kind cannot be exported yet."""
        return ""

    def script_constants(self) -> tuple[ScriptConstant, ...]:
        """The settings :meth:`script_loader`'s code reads, in the order the script lists
        them."""
        return ()

    # ---- loading ----------------------------------------------------------------------------
    def load(self, validation_split: float, data_dir: str | None = None) -> Splits:
        """The training, validation and test arrays.

        Args:
            validation_split: ``[train] validation_split``.
            data_dir: A folder overriding the spec's (``--data-dir``), for kinds read from
                files.

        Raises:
            DataError: The data cannot be loaded; the message says how to fix it.
        """
        raise NotImplementedError


#: Groups thousands: a narrow no-break space, so "10 000" never breaks across two lines.
THOUSANDS = "\u202f"


def count_words(n: Any) -> str:
    """10000 -> '10 000' (a narrow no-break space groups thousands); a value that is not an
    integer (a hand-edited spec) as it is."""
    return f"{n:,}".replace(",", THOUSANDS) if isinstance(n, int) else str(n)
