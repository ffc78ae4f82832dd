"""Python warnings raised while a user's layer is built and first called, kept as text.

Keras says what it thinks of a layer with ``UserWarning`` (``build()`` never called, an
``input_shape`` argument, ...), and the user's own code may ``warnings.warn``. Printed raw on
stderr they corrupt the TUI and are lost to the run; caught here they become the run's
warnings (``RunStarted.warnings`` in ``events.jsonl``) and the layer form's ⚠ lines.

``warnings.catch_warnings`` swaps module-wide state, so two threads catching at once could
restore each other's: one lock keeps the catches (short: a build and a call) one at a time.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

#: Categories said to the user; the rest (deprecations inside TensorFlow, resources) are
#: Python's default business and stay hidden, as they would be without ktui.
SAID = (UserWarning, RuntimeWarning)

_lock = threading.RLock()


def as_text(message: warnings.WarningMessage) -> str:
    """``UserWarning: Layer 'x' ...`` on one line."""
    return f"{message.category.__name__}: {' '.join(str(message.message).split())}"


@contextmanager
def caught(into: list[str]) -> Iterator[None]:
    """Append to ``into`` each warning said inside (once each, in order)."""
    with _lock, warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for record in records:
                text = as_text(record)
                if issubclass(record.category, SAID) and text not in into:
                    into.append(text)


__all__ = ["SAID", "as_text", "caught"]
