"""A live ``model.summary()`` from the catalog's pure-Python shape inference (no TensorFlow).

The table is sized to its content (layer, output shape, params) at the width it is drawn in:
the shape and params columns keep their full text and the layer column gives way first, so it
reads the same from 80×24 to 200×60. A stack that cannot work still shows every row that
infers, the broken layer marked with its reason under it, and the rows after it greyed out.

A user's layer class (``--layers``) has no pure-Python inference: its row says "working out…"
while TensorFlow builds it in a thread worker (the user's code never runs on the UI thread),
and the screen is told (:class:`ModelSummary.ShapesWorkedOut`) to show the stack again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, StackError, format_shape, infer_stack
from ktui.core.spec import ExperimentSpec, LayerSpec, layer_errors, stack_problem

Shape = tuple[int, ...]
#: Rows drawn at most: a 10 000-layer stack must not make every keystroke slow.
MAX_ROWS = 200
GAP = 2  # columns between table columns


@dataclass(frozen=True)
class LayerRow:
    """One layer as the summary shows it; ``problem`` (the whole message, naming the layer as
    every other message does) is set on the first layer that cannot work, and
    ``output_shape`` is None for it and every layer after it."""

    index: int
    kind: str
    output_shape: Shape | None
    params: int | None
    problem: str | None = None
    #: A user layer whose shape TensorFlow is still working out.
    pending: bool = False

    @property
    def label(self) -> str:
        """``2 Dense``: the 1-based number and kind, as the layer list shows them."""
        return f"{self.index + 1} {self.kind}"


def walk_stack(input_shape: Shape, layers: Sequence[LayerSpec]
               ) -> tuple[list[LayerRow], str | None]:
    """Infer each layer's output until one cannot work.

    Returns the rows (every layer; the broken one carries its reason, the ones after it have
    no shape) and the full problem message naming the layer, or None when every layer infers.
    """
    rows: list[LayerRow] = []
    shape: Shape | None = tuple(input_shape)
    problem: str | None = None
    for i, layer in enumerate(layers):
        if shape is None:
            rows.append(LayerRow(i, layer.kind, None, None))
            continue
        try:
            shape, count = _infer_one(i, layer, shape)
        except _Pending:
            rows.append(LayerRow(i, layer.kind, None, None, pending=True))
            shape = None
            continue
        except _Broken as broken:
            problem = broken.message if broken.message is not None else \
                _stack_message(input_shape, layers[:i + 1])
            rows.append(LayerRow(i, layer.kind, None, None, problem))
            shape = None
            continue
        rows.append(LayerRow(i, layer.kind, shape, count))
    return rows, problem


class _Pending(Exception):
    """A user layer's shape is being worked out (TensorFlow, in a worker)."""


class _Broken(Exception):
    """A layer that cannot work; ``message`` None means "ask the catalog for its words"."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.message = message


def _infer_one(index: int, layer: LayerSpec, shape: Shape) -> tuple[Shape, int]:
    """Layer ``index``'s output shape and parameter count for ``shape`` (its parameters are
    checked first), or :class:`_Broken`."""
    if layer.kind not in LAYER_KINDS:
        raise _Broken(f"layer {index + 1} ({layer.kind}): unknown layer kind")
    errors = layer_errors(index, layer)
    if errors:
        raise _Broken(errors[0])
    kind = LAYER_KINDS[layer.kind]
    try:
        return kind.output(shape, layer.params)
    except user_layers.ShapePending:
        raise _Pending() from None
    except StackError:
        raise _Broken() from None
    except Exception as err:  # a parameter of an odd type that the checks let through
        raise _Broken(f"layer {index + 1} ({layer.kind}): cannot work out its output shape "
                      f"({type(err).__name__}: {err})") from None


def _stack_message(input_shape: Shape, layers: Sequence[LayerSpec]) -> str:
    """The catalog's own message (and layer naming) for the last of ``layers`` failing."""
    try:
        infer_stack(input_shape, [(lay.kind, lay.params) for lay in layers])
    except StackError as err:
        return str(err)
    last = len(layers)
    return f"layer {last} ({layers[-1].kind}): cannot take its input"


def output_shape_before(spec: ExperimentSpec, position: int) -> tuple[Shape | None, str]:
    """The shape a layer inserted at ``position`` receives, or None and why it is unknown."""
    rows, problem = walk_stack(spec.input_shape(), spec.layers[:position])
    if problem is not None:
        return None, problem
    return (rows[-1].output_shape if rows else tuple(spec.input_shape())), ""


class SummaryTable:
    """The rows as a table whose column widths are chosen at render time, from the width
    the widget has: shapes and params in full, the layer column cut first."""

    def __init__(self, input_shape: Shape, rows: list[LayerRow]) -> None:
        self.input_shape = input_shape
        self.rows = rows

    def _cells(self) -> list[tuple[Text, Text, Text]]:
        cells = [(Text("input", style="dim"), Text(format_shape(self.input_shape), style="dim"),
                  Text(""))]
        for row in self.rows[:MAX_ROWS]:
            if row.problem is not None:
                cells.append((Text(row.label, style="bold red"),
                              Text("⚠ cannot work", style="bold red"), Text("")))
            elif row.pending:
                cells.append((Text(row.label), Text("working out…", style="dim italic"),
                              Text("…", style="dim")))
            elif row.output_shape is None:
                cells.append((Text(row.label, style="dim"), Text("?", style="dim"),
                              Text("?", style="dim")))
            else:
                cells.append((Text(row.label), Text(format_shape(row.output_shape)),
                              Text(f"{row.params:,}")))
        return cells

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cells = self._cells()
        header = (Text("Layer", style="bold"), Text("Output shape", style="bold"),
                  Text("Params", style="bold"))
        widths = [max(c.cell_len for c in column) for column in zip(header, *cells, strict=True)]
        widths = _fit(widths, options.max_width)
        yield from _tables(header, cells, widths, self.rows)
        hidden = len(self.rows) - MAX_ROWS
        if hidden > 0:
            yield Text(f"… and {hidden:,} more layers", style="dim")


def _fit(widths: list[int], room: int) -> list[int]:
    """Shrink the layer column, then the shape column, until the table fits ``room``."""
    name, shape, params = widths
    excess = name + shape + params + 2 * GAP - room
    if excess > 0:
        cut = min(excess, max(name - 6, 0))
        name -= cut
        excess -= cut
    if excess > 0:
        shape = max(shape - excess, 5)
    return [name, shape, params]


def _table(widths: list[int], header: tuple[Text, Text, Text] | None) -> Table:
    table = Table(box=None, expand=False, pad_edge=False, show_edge=False,
                  padding=(0, GAP, 0, 0), show_header=header is not None, collapse_padding=True)
    for i, width in enumerate(widths):
        table.add_column(header[i] if header else "", width=width, no_wrap=True,
                         overflow="ellipsis", justify="right" if i == 2 else "left")
    return table


def _tables(header: tuple[Text, Text, Text], cells: list[tuple[Text, Text, Text]],
            widths: list[int], rows: list[LayerRow]) -> Iterable[RenderableType]:
    """One table, split after a broken layer so its reason sits right under its row."""
    table = _table(widths, header)
    for i, cell in enumerate(cells):
        table.add_row(*cell)
        row = rows[i - 1] if 0 < i <= len(rows) else None
        if row is not None and row.problem is not None:
            yield table
            # Indented under its row, wrapped lines too.
            yield Padding(Text(f"⚠ {row.problem}", style="bold red"), (0, 0, 0, 2))
            table = _table(widths, None)
    if table.row_count:
        yield table


def summary_renderable(spec: ExperimentSpec) -> tuple[RenderableType, str | None]:
    """The summary table and the problem (naming the layer) when the stack cannot work."""
    if not spec.layers:
        problem = "layers: the model needs at least one layer (press a to add one)"
        return Text(f"⚠ {problem}", style="bold red"), problem
    rows, problem = walk_stack(spec.input_shape(), spec.layers)
    parts: list[RenderableType] = [SummaryTable(spec.input_shape(), rows)]
    if problem is not None:
        parts.append(Text("Total params: ? (the stack cannot work yet)", style="bold"))
        return Group(*parts), problem
    if any(r.pending for r in rows):
        parts.append(Text("Total params: … (TensorFlow is building your layers)", style="dim"))
        return Group(*parts), None
    total = sum(r.params or 0 for r in rows)
    parts.append(Text(f"Total params: {total:,}", style="bold"))
    try:
        stack_problem(spec)
    except StackError as err:
        problem = str(err)
        parts.append(Text(f"⚠ {problem}", style="bold red"))
    return Group(*parts), problem


class ModelSummary(Static):
    """Re-rendered by the setup screen whenever the stack or the dataset changes."""

    problem: str | None = None

    _shown: object = None
    _asked: object = None

    class ShapesWorkedOut(Message):
        """TensorFlow has worked out the user layers' shapes: validate and show again."""

    def show(self, spec: ExperimentSpec) -> str | None:
        key = (spec.input_shape(), spec.output_shape(), spec.task, repr(spec.layers),
               user_layers.state_token())
        if key == self._shown:
            return self.problem
        self._shown = key
        if user_layers.uses_user_layers(spec) and key != self._asked:
            self._asked = key
            self._work_out(spec.copy())
        try:
            renderable, problem = summary_renderable(spec)
        except Exception as err:  # the summary must never take the setup view down
            problem = f"cannot summarise the model: {type(err).__name__}: {err}"
            renderable = Text(f"⚠ {problem}", style="bold red")
        self.problem = problem
        self.update(renderable)
        self.set_class(problem is not None, "-invalid")
        return problem

    def _work_out(self, spec: Any) -> None:
        """Build the user layers of ``spec`` in a thread worker (a no-op when all are known),
        then tell the screen."""

        def work() -> None:
            before = user_layers.state_token()
            user_layers.resolve_shapes(spec)
            if user_layers.state_token() != before:
                self.post_message(self.ShapesWorkedOut())

        self.run_worker(work, thread=True, group="user-shapes", exclusive=True,
                        exit_on_error=False)
