"""A field's value as text in a form, and back: what the user types into an Input.

Parsing is by the field's type (:data:`FieldType`); a problem is a :class:`FieldError` that
says what is expected. :class:`ktui.core.schema.Field` parses and formats with these.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

FieldType = Literal[
    "int", "float", "bool", "str", "path", "choice", "multi", "floats", "points", "shape",
    "int_pair", "names",
]

_INT = re.compile(r"[+-]?\d+")
_SPLIT = re.compile(r"[\s,x×]+")
#: C0 and C1 control characters (ESC, BEL, CR, ...): never part of a name or a path.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LISTS = ("multi", "floats", "points", "shape", "int_pair", "names")


class FieldError(ValueError):
    """Text that cannot be read as the field's type; the message says what is expected."""


def parse_text(kind: FieldType, text: str) -> Any:
    """Text typed into an Input -> a value of type ``kind``; raise :class:`FieldError`."""
    text = text.strip()
    if kind in ("str", "path"):
        bad = _CONTROL.search(text)
        if bad:
            raise FieldError(f"must not contain control characters, got {bad.group()!r}")
        return text
    if kind == "names":  # column names: commas between, spaces inside a name kept
        bad = _CONTROL.search(text)
        if bad:
            raise FieldError(f"must not contain control characters, got {bad.group()!r}")
        return [p.strip() for p in text.split(",") if p.strip()]
    if not text:
        raise FieldError("required")
    if kind == "int":
        if not _INT.fullmatch(text):
            raise FieldError(f"must be an integer, got {text!r}")
        return int(text)
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise FieldError(f"must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise FieldError(f"must be a finite number, got {text!r}")
        return value
    parts = [p for p in _SPLIT.split(text) if p]
    if kind == "floats":
        try:
            return [float(p) for p in parts]
        except ValueError:
            raise FieldError(f"must be numbers separated by commas, got {text!r}") from None
    if kind in ("shape", "int_pair"):
        if not all(_INT.fullmatch(p) for p in parts):
            example = "3, 3" if kind == "int_pair" else "28, 28, 1"
            raise FieldError(f"must be integers separated by commas, e.g. {example}")
        return [int(p) for p in parts]
    raise FieldError(f"cannot type {kind} values")


def format_value(kind: FieldType, value: Any) -> str:
    """A value as an Input shows it (the inverse of :func:`parse_text`). A value of the wrong
    type (from a hand-edited spec) is shown as it is, so the check can say what is wrong."""
    if kind in _LISTS:
        if isinstance(value, (list, tuple)):
            return ", ".join(v if isinstance(v, str) else _shown(v) for v in value)
        return str(value)
    if kind == "float":
        return _shown(value)
    return str(value)


def _shown(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e-3 or abs(v) >= 1e6 else repr(v)
    return str(v)
