"""A box of form rows built the first time it is shown.

The setup view holds the fields of every dataset kind, one box per kind, and shows one; the
hidden boxes were two fifths of the view's widgets (measured: 125 of 317), composed and
styled before the first frame for nothing. A :class:`LazyRows` box gets a function that makes
its rows and calls it when :meth:`build` is first asked for (the view asks when it shows the
box), then posts :class:`LazyRows.Built` so the view judges the new rows with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget


class LazyRows(Vertical):
    """A vertical box whose children are made by ``make_rows`` on the first :meth:`build`
    (None: composed as usual, already built)."""

    class Built(Message):
        """The box's rows are mounted."""

    def __init__(self, make_rows: Callable[[], Sequence[Widget]] | None = None, *,
                 id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self._make_rows = make_rows

    @property
    def built(self) -> bool:
        return self._make_rows is None

    def build(self) -> None:
        """Make and mount the rows, once (they arrive at the next turn of the loop)."""
        if self._make_rows is None or not self.is_attached:
            return
        make, self._make_rows = self._make_rows, None

        async def add() -> None:
            await self.mount_all(make())
            self.post_message(self.Built())

        self.call_next(add)


__all__ = ["LazyRows"]
