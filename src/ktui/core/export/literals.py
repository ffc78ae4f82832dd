"""User values as Python literals: the exporter's one way of putting a spec's text into a script.

A value reaches the script only as ``repr`` of a plain value (str, int, finite float, bool,
None, and lists, tuples and dicts of them), read back with ``ast.literal_eval`` to check it is
exactly that value. ``repr`` escapes quotes, backslashes, newlines, NUL and every other
non-printable character, so no text can end the literal and become code, a comment or a
docstring. Anything else is an :class:`ExportError` naming the field.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

#: A file name shown as is in the script's docstring; any other is described, not shown.
_PLAIN_FILE_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,120}")
#: Deeper nesting than any spec has; deeper values are refused rather than recursed into.
_MAX_DEPTH = 20


class ExportError(ValueError):
    """The spec cannot be written as a script; the message names the field and the cause."""


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is built only of the types whose ``repr`` is a Python literal."""
    if depth > _MAX_DEPTH:
        return False
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is float:
        return math.isfinite(value)  # repr(inf) is `inf`, a name, not a literal
    if type(value) in (list, tuple):
        return all(is_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(is_plain(k, depth + 1) and is_plain(v, depth + 1) for k, v in value.items())
    return False


def literal(value: Any, where: str) -> str:
    """``value`` as Python source that evaluates to an equal value and can do nothing else.

    Args:
        value: A plain value (see :func:`is_plain`).
        where: The spec path a refusal names (``train.learning_rate``).

    Raises:
        ExportError: The value is not plain, or its text does not read back as itself.
    """
    if not is_plain(value):
        raise ExportError(f"{where}: {type(value).__name__} value cannot be written into a "
                          "script; use a string, a finite number, true/false or a list of them")
    try:
        text = repr(value)
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError, MemoryError, RecursionError) as err:
        raise ExportError(f"{where}: cannot be written into a script ({err})") from None
    if not same:
        raise ExportError(f"{where}: does not read back as the same value")
    return text


def shown(value: Any) -> str:
    """A refused name for a message: the text itself (quoted) or only its type."""
    return repr(value) if isinstance(value, str) else type(value).__name__


def usage_name(file_name: str | None) -> str:
    """How the docstring names the script: the file written, when its name is plain ASCII
    (anything else could end the docstring); otherwise a description."""
    if file_name and _PLAIN_FILE_NAME.fullmatch(file_name):
        return file_name
    return "<this file>"
