"""One type system for every field of an experiment: dataset, training and layer parameters.

A :class:`Field` says what a value may be (type, range, choices, required), what the form
calls it (label) and what it means (help). Everything else is derived from it, so a range is
stated once: the TOML reader's type checks and unknown-key errors (:func:`parse_table`), the
validation of values with every problem and its path (:func:`check_values`), a form's text
parsing and display (:meth:`Field.parse_text`, :meth:`Field.format`, by the field's type:
:mod:`ktui.core.form_text`), and the range words of messages and help
(:meth:`Field.range_text`).

Dataclasses declare their fields with :func:`spec_field` (the dataclass stays the one place
that names and defaults a field); :func:`table_of` reads them back as Fields. Pure Python.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ktui.core.choices import Registry
from ktui.core.form_text import FieldError, FieldType, format_value, parse_text
from ktui.core.text import brief

#: ``(where inside the value, what is wrong)``: where is ``""`` or an item's ``"[2]"``.
Problem = tuple[str, str]

#: The largest seed Keras takes (``keras.utils.set_random_seed``: 0 to 2**32 - 1).
MAX_SEED = 2**32 - 1
SEED_NOTE = " (2**32 - 1 is the largest seed Keras takes)"
#: Bounds of a ``shape``/``int_pair`` value: what any real stack needs, far below what would
#: overflow TensorFlow's int64 shapes or hang the shape arithmetic.
MAX_RANK = 8
MAX_DIM = 1_000_000


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_float(value: int | float) -> float:
    """``float(value)``, with an integer too large for a float as infinity (not an error)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def is_finite(value: Any) -> bool:
    return is_number(value) and math.isfinite(as_float(value))


def number_text(x: float) -> str:
    """A bound as people write it: ``10`` rather than ``10.0``."""
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclasses.dataclass(frozen=True)
class Field:
    """One field: what it may hold, and what the form and the messages call it.

    Attributes:
        name: The key in the spec (``learning_rate``) or the layer parameter's name.
        type: See :data:`FieldType`; ``floats`` is a list of numbers, ``points`` a list of
            rows of numbers, ``multi`` a list of choices, ``path`` a string naming a file.
        default: The value when the field is not given.
        help: One line on what it means (the form's hint).
        label: The form's label; a field without one is file-only (explicit data points).
        min, max: Bounds of a number; ``min_inclusive``/``max_inclusive`` say whether the
            bounds themselves are allowed.
        choices: The names a ``choice`` may take, unless ``registry`` gives them.
        registry: Where a ``choice`` or ``multi`` field's names come from (losses, ...).
        note: Said after a problem with the value: what 0 means, where a bound comes from.
        required: A string must not be blank, a ``floats`` list not empty.
        max_len: The longest string allowed.
        scalar_ok: ``floats`` only: one number stands for a list of that number.
        interval: ``int`` only: word a range from 0 as an interval, ``in [0, 9]``, not as
            ``a non-negative integer <= 9`` (how layer parameters have always said it).
        any_value: ``str`` only: a TOML value as text (a user layer's parameter the form
            takes as text); a spec may give any value instead (``rate = 0.2``).
        bool_words: ``choice`` only: the choices TOML's ``true`` and ``false`` stand for (a
            field that was a switch before it grew a third choice: older files still read).
    """

    name: str
    type: FieldType
    default: Any
    help: str = ""
    label: str = ""
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    choices: tuple[str, ...] = ()
    registry: Registry | None = None
    note: str = ""
    required: bool = False
    max_len: int | None = None
    scalar_ok: bool = False
    interval: bool = False
    any_value: bool = False
    bool_words: tuple[str, str] | None = None

    @property
    def options(self) -> tuple[str, ...]:
        """The names a ``choice``/``multi`` field offers, in order."""
        return self.registry.names() if self.registry is not None else self.choices

    # ---- checking -----------------------------------------------------------------------------
    def check(self, value: Any, task: str | None = None, task_words: str = "") -> str | None:
        """Why ``value`` is not acceptable (its type first, then its value), or None."""
        problem = self.type_problem(value)
        problems = [problem] if problem else self.value_problems(value, task, task_words)
        if not problems:
            return None
        where, text = problems[0]
        return f"{where}: {text}" if where else text

    def type_problem(self, value: Any) -> Problem | None:
        """Why ``value`` has the wrong type or shape (a list where a name belongs, a string
        where a number does), or None. The value can still be out of range."""
        t = self.type
        if self.any_value and not isinstance(value, str):
            return None  # a TOML value given as itself, not as text
        if t == "bool":
            return None if isinstance(value, bool) else ("", f"must be true or false, got "
                                                             f"{brief(value)}")
        if t == "int":
            return None if is_int(value) else ("", f"must be an integer, got {brief(value)}")
        if t == "float":
            return None if is_number(value) else ("", f"must be a number, got {brief(value)}")
        if t in ("str", "path", "choice"):
            return None if isinstance(value, str) else ("", f"must be a string, got "
                                                            f"{brief(value)}")
        if t in ("shape", "int_pair"):
            problem = _shape_problem(value, pair=t == "int_pair")
            return ("", problem) if problem else None
        return self._list_problem(value)

    def _list_problem(self, value: Any) -> Problem | None:
        if self.scalar_ok:  # one number or a list of them: the whole is described
            want = "a number or a list of numbers"
            if not isinstance(value, list):
                return "", f"must be {want}, got {brief(value)}"
            bad = next((v for v in value if not is_number(v)), None)
            return None if bad is None else ("", f"must be {want}, got {brief(bad)}")
        if not isinstance(value, list):
            return "", f"must be a list, got {brief(value)}"
        item_ok, words = {
            "multi": (lambda v: isinstance(v, str), f"a string (a {self._noun} name)"),
            "names": (lambda v: isinstance(v, str), "a string (a column name)"),
            "floats": (is_number, "a number"),
            "points": (lambda v: isinstance(v, list) and all(map(is_number, v)),
                       "a list of numbers"),
        }[self.type]
        for i, item in enumerate(value):
            if not item_ok(item):
                return f"[{i}]", f"must be {words}, got {brief(item)}"
        return None

    @property
    def _noun(self) -> str:
        return self.registry.kind if self.registry is not None else "choice"

    def value_problems(self, value: Any, task: str | None = None,
                       task_words: str = "") -> list[Problem]:
        """Problems with a value of the right type: out of range, not a choice, blank.

        ``task`` (with ``task_words`` naming the data) also checks that a registry name fits
        the task: a regression loss on class labels is refused here."""
        t = self.type
        if self.any_value and not isinstance(value, str):
            return []
        if t in ("int", "float"):
            return [] if self._in_range(value) else [
                ("", f"must be {self.range_text()}, got {brief(value)}{self.note}")]
        if t in ("str", "path"):
            return self._text_problems(value)
        if t == "choice":
            problem = self._choice_problem(value, task, task_words)
            return [("", problem)] if problem else []
        if t == "multi":
            problems = [(f"[{i}]", p) for i, item in enumerate(value)
                        if (p := self._choice_problem(item, task, task_words))]
            if len(set(value)) != len(value):
                problems.append(("", f"lists a {self._noun} twice"))
            return problems
        if t == "floats" and ((self.required and not value) or not all(map(is_finite, value))):
            words = ("a finite number or a list of them" if self.scalar_ok
                     else "a list of finite numbers")
            return [("", f"must be {words}, got {brief(value)}")]
        return []

    def _in_range(self, value: int | float) -> bool:
        if self.type == "float":
            value = as_float(value)
            if not math.isfinite(value):
                return False
        low, high = self.min, self.max
        if low is not None and not (value >= low if self.min_inclusive else value > low):
            return False
        return high is None or (value <= high if self.max_inclusive else value < high)

    def _text_problems(self, value: str) -> list[Problem]:
        if self.max_len is not None and len(value) > self.max_len:
            return [("", f"must be at most {self.max_len} characters, got {len(value)}")]
        if self.required and not value.strip():
            return [("", f"must not be empty{self.note}")]
        if self.type == "path" and "\x00" in value:
            return [("", "must not contain NUL characters")]
        return []

    def _choice_problem(self, value: str, task: str | None, task_words: str) -> str | None:
        if self.registry is not None:
            return self.registry.problem(value, task, task_words)
        if value in self.choices:
            return None
        return f"must be one of {', '.join(self.choices)}; got {brief(value)}"

    def range_text(self) -> str:
        """The allowed range in words: ``a positive integer <= 100000``, ``in [0, 1)``,
        ``>= 0 and finite`` (a float is always finite); ``any value`` when unbounded."""
        low, high = self.min, self.max
        if self.type == "int" and (low == 1 or (low == 0 and not self.interval)):
            words = "a positive integer" if low == 1 else "a non-negative integer"
            return words + (f" <= {number_text(high)}" if high is not None else "")
        if self.type not in ("int", "float"):
            return "any value"
        if low is not None and high is not None:
            left, right = "[" if self.min_inclusive else "(", "]" if self.max_inclusive else ")"
            return f"in {left}{number_text(low)}, {number_text(high)}{right}"
        if low is not None:
            words = f"{'>=' if self.min_inclusive else '>'} {number_text(low)}"
        elif high is not None:
            words = f"{'<=' if self.max_inclusive else '<'} {number_text(high)}"
        else:
            return "any value" if self.type == "int" else "a finite number"
        # A float bounded on one side only: infinity is on the open side, and is refused.
        return words + (" and finite" if self.type == "float" else "")

    # ---- text, for the forms ------------------------------------------------------------------
    def parse_text(self, text: str) -> Any:
        """Text typed into a form -> the value; raise :class:`FieldError` saying why not."""
        return parse_text(self.type, text)

    def format(self, value: Any) -> str:
        """The value as a form shows it (the inverse of :meth:`parse_text`)."""
        return format_value(self.type, value)

    # ---- reading TOML -------------------------------------------------------------------------
    def coerce(self, value: Any) -> Any:
        """A value from TOML in this field's terms: integers of a float field become floats
        (``lr = 1`` is 1.0), and a lone number where a list is accepted becomes a list."""
        if self.type == "float" and is_number(value):
            return as_float(value)
        if self.bool_words is not None and isinstance(value, bool):
            return self.bool_words[0 if value else 1]
        if self.type == "floats":
            if self.scalar_ok and is_number(value):
                value = [value]
            if isinstance(value, list):
                return [as_float(v) if is_number(v) else v for v in value]
        if self.type == "points" and isinstance(value, list):
            return [[as_float(v) if is_number(v) else v for v in row]
                    if isinstance(row, list) else row for row in value]
        return value


def _shape_problem(value: Any, pair: bool) -> str | None:
    if not isinstance(value, (list, tuple)) or not value:
        return f"must be a list of positive integers, got {brief(value)}"
    if pair and len(value) != 2:
        return f"must be two positive integers [h, w], got {brief(list(value))}"
    if len(value) > MAX_RANK:
        return f"must have at most {MAX_RANK} dimensions, got {len(value)}"
    if not all(is_int(v) and 0 < v <= MAX_DIM for v in value):
        return f"must be a list of positive integers <= {MAX_DIM:,}, got {brief(list(value))}"
    return None


# ---- dataclasses and tables ----------------------------------------------------------------------

def spec_field(type: FieldType, default: Any, **schema: Any) -> Any:  # noqa: A002 - the word
    """A dataclass field described by a :class:`Field` (built by :func:`table_of` with the
    attribute's name); mutable defaults are copied for each instance."""
    metadata = {"schema": {"type": type, **schema}}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default),
                                 metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@functools.cache
def table_of(cls: type) -> tuple[Field, ...]:
    """The Fields of a dataclass declared with :func:`spec_field`, in declaration order."""
    table = []
    for f in dataclasses.fields(cls):
        if "schema" not in f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        table.append(Field(f.name, default=default, **f.metadata["schema"]))
    return tuple(table)


def field_of(cls: type, name: str) -> Field:
    """One Field of a dataclass declared with :func:`spec_field`."""
    for f in table_of(cls):
        if f.name == name:
            return f
    raise KeyError(name)


def values_of(obj: Any) -> dict[str, Any]:
    """A dataclass instance's schema fields as a dict, in declaration order."""
    return {f.name: getattr(obj, f.name) for f in table_of(type(obj))}


At = Callable[[str], str]


def parse_table(fields: Sequence[Field], data: Mapping[str, Any], errors: list[str], *,
                at: At, unknown: Callable[[str], str], coerce: bool = True) -> dict[str, Any]:
    """The known keys of a TOML table, in the fields' order, each value coerced
    (:meth:`Field.coerce`).

    Every unknown key, then every value of the wrong type, is a problem in ``errors``:
    ``unknown(key)`` words the first, ``at(key)`` prefixes the second (``train.epochs: ``).
    A value of the wrong type is still returned, so validation can skip what depends on it
    instead of judging a default. Values out of range are left to :func:`check_values`.
    """
    by_name = {f.name: f for f in fields}
    errors.extend(unknown(key) for key in data if key not in by_name)
    values = {f.name: f.coerce(data[f.name]) if coerce else data[f.name]
              for f in fields if f.name in data}
    for name, value in values.items():
        problem = by_name[name].type_problem(value)
        if problem:
            errors.append(at(name + problem[0]) + problem[1])
    return values


def check_values(fields: Sequence[Field], values: Mapping[str, Any], at: At,
                 task: str | None = None, task_words: str = "") -> tuple[list[str], set[str]]:
    """Every problem with the given values: first every wrong type, then every value out of
    range or not a choice (of the fields whose type is right), in the fields' order.

    Returns the problems, each prefixed by ``at(key)``, and the names of the fields that have
    one (cross-field checks skip them: the field's own problem is the one to fix).
    """
    present = [f for f in fields if f.name in values]
    problems: list[str] = []
    bad: set[str] = set()
    for f in present:
        problem = f.type_problem(values[f.name])
        if problem:
            problems.append(at(f.name + problem[0]) + problem[1])
            bad.add(f.name)
    for f in present:
        if f.name in bad:
            continue
        for where, text in f.value_problems(values[f.name], task, task_words):
            problems.append(at(f.name + where) + text)
            bad.add(f.name)
    return problems, bad


__all__ = [
    "MAX_DIM", "MAX_RANK", "MAX_SEED", "SEED_NOTE", "Field", "FieldError", "FieldType",
    "Problem", "as_float", "check_values", "field_of", "is_finite", "is_int", "is_number",
    "number_text", "parse_table", "spec_field", "table_of", "values_of",
]
