"""User text made safe to print: no terminal escapes, bounded reprs, identifier-safe names.

A spec's name, a run folder's name or a path typed by the user can hold control characters
(ESC, BEL, CSI, ...) that a terminal obeys: set the window title, clear the screen, recolour
everything after. Everything the CLI prints that came from a user goes through :func:`clean`,
which shows such characters as visible escapes (``\\x1b``) instead. Pure Python: the core, the
CLI and the TUI all use it.
"""

from __future__ import annotations

import math
import re
import reprlib
from typing import Any

#: C0 controls, DEL, C1 controls (``\\x9b`` is CSI on 8-bit terminals), the bidirectional
#: overrides and isolates (they reorder what the reader sees), and lone surrogates (not text;
#: printing them raises UnicodeEncodeError).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_NL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\x07``, ...).

    Newlines are escaped too unless ``keep_newlines``: a one-line field (a name) then stays
    one line, while a multi-line message keeps its layout.
    """
    pattern = _UNSAFE_KEEP_NL if keep_newlines else _UNSAFE
    return pattern.sub(_escape, str(text))


_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = 8
_SHORT.maxtuple = 8
_SHORT.maxdict = 6
_SHORT.maxlong = 40


def brief(value: Any) -> str:
    """``repr(value)``, cut short for messages: a spec value can be a list of a million
    numbers or nested a thousand levels deep, and an error line must stay one short line."""
    return _SHORT.repr(value)


_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


def identifier(text: str, fallback: str = "model", max_len: int = 64) -> str:
    """``text`` as a name Keras and TensorFlow accept anywhere (model names, name scopes):
    ASCII letters, digits and ``_`` only (``linear-gd`` -> ``linear_gd``), never empty."""
    name = _NOT_IDENT.sub("_", str(text))[:max_len].strip("_")
    return name or fallback


def plural(count: int, word: str) -> str:
    """``1 epoch``, ``3 epochs``: a count with its word."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def metric_text(value: float) -> str:
    """A loss, a metric or a rate, the one way every view writes it: 4 decimals (``1.0000``,
    not ``1`` beside ``0.8719``) from 0.001 to 1 000, else 4 significant digits (``1235``,
    ``1.235e+05``, ``5e-05``: never ``0.0000`` for a small non-zero value); the exported
    script's ``fmt`` and ``ktui runs show`` are the same rule."""
    return f"{value:.4f}" if value == 0 or 0.001 <= abs(value) < 1000 else f"{value:.4g}"


#: Eighths of a cell, lowest to highest (a sparkline's bars).
SPARK_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 16) -> str:
    """The last ``width`` finite values as bars scaled from their lowest to their highest
    (a flat series is all lowest bars); "" when there are none."""
    vals = [v for v in values if math.isfinite(v)][-width:]
    if not vals:
        return ""
    low, high = min(vals), max(vals)
    span = high - low or 1.0
    return "".join(SPARK_BARS[min(7, int((v - low) / span * 7.999))] for v in vals)
