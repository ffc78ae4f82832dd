"""What the author checks decided about a layer, and whether the user trains it anyway.

The checks help, they do not have the last word: a failed check refuses a run only until the
user says to train anyway (``ktui train --no-checks``, or the layer form's key for that one
layer as configured). Kept here, apart from the checks, so the validator reads it through a
user kind's ``infer`` (:mod:`.shapes`) without TensorFlow: a spec whose layer fails a check
is not "ready to train" while that refuses it.

Keys are :func:`ktui.core.user_layers.shapes.key`'s (kind, file hash, input, parameters).
"""

from __future__ import annotations

import threading
from typing import Any

#: How a failed check's refusal says it can be overridden.
ANYWAY = "a check: train anyway with the layer form's ctrl+y or `ktui train --no-checks`"

_lock = threading.Lock()
#: Key -> the failed check's one line (only layers whose last checks failed one).
_failed: dict[tuple[Any, ...], str] = {}
#: Keys whose failed checks the user accepted (the layer form's train-anyway key).
_accepted: set[tuple[Any, ...]] = set()
#: Whether a failed check refuses the run (``--no-checks`` turns it into a warning).
_refusing = [True]
_version = [0]


def refuse_on_failed_checks(refuse: bool) -> None:
    """``--no-checks``: a failed check is said as a warning and the run trains anyway."""
    _refusing[0] = refuse
    _version[0] += 1


def record(key: tuple[Any, ...], failure: str | None) -> None:
    """The verdict of the checks just run for ``key``: a failed check's line, or None."""
    with _lock:
        if _failed.get(key) == failure:
            return  # the same verdict: nothing for a view to redraw
        if failure is None:
            _failed.pop(key, None)
        else:
            _failed[key] = failure
        _version[0] += 1


def accept(key: tuple[Any, ...], anyway: bool = True) -> None:
    """Train the layer ``key`` describes despite a failed check (or no longer, with
    ``anyway=False``)."""
    with _lock:
        (_accepted.add if anyway else _accepted.discard)(key)
        _version[0] += 1


def accepted(key: tuple[Any, ...]) -> bool:
    return key in _accepted


def refusing(key: tuple[Any, ...]) -> bool:
    """Whether a failed check of ``key`` refuses the run (not accepted, no --no-checks)."""
    return _refusing[0] and key not in _accepted


def refusal(key: tuple[Any, ...]) -> str | None:
    """Why ``key``'s layer cannot be trained as it stands: its failed check, when that
    refuses; None otherwise (passed, accepted, not checked yet)."""
    failure = _failed.get(key)
    return failure if failure is not None and refusing(key) else None


def forget() -> None:
    """No verdict and no acceptance kept (a fresh start: tests)."""
    with _lock:
        _failed.clear()
        _accepted.clear()
        _version[0] += 1


def version() -> int:
    """Grows with every verdict and acceptance (a view of the stack redraws)."""
    return _version[0]


__all__ = ["ANYWAY", "accept", "accepted", "forget", "record", "refusal", "refuse_on_failed_checks",
           "refusing", "version"]
