"""A live ``model.summary()`` from the catalog's pure-Python shape inference (no TensorFlow)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ktui.core.catalog import StackError, format_shape, infer_stack
from ktui.core.spec import ExperimentSpec, layer_errors, stack_problem


def summary_renderable(spec: ExperimentSpec) -> tuple[RenderableType, str | None]:
    """The summary table, or the problem (naming the layer) when the stack cannot work."""
    problems = [e for i, lay in enumerate(spec.layers) for e in layer_errors(i, lay)]
    if not spec.layers:
        problems = ["layers: the model needs at least one layer (press a to add one)"]
    if problems:
        return _problem(problems[0]), problems[0]
    try:
        rows = infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
    except StackError as err:
        return _problem(str(err)), str(err)
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False, padding=(0, 1),
                  header_style="bold")
    table.add_column("Layer", no_wrap=True, overflow="ellipsis", ratio=3)
    table.add_column("Output shape", no_wrap=True, ratio=3)
    table.add_column("Params", justify="right", no_wrap=True, ratio=2)
    table.add_row(Text("input", style="dim"), Text(format_shape(spec.input_shape()), style="dim"),
                  "")
    for i, row in enumerate(rows):
        table.add_row(f"{i + 1} {row.kind}", format_shape(row.output_shape), f"{row.params:,}")
    total = sum(r.params for r in rows)
    parts: list[RenderableType] = [table, Text(f"Total params: {total:,}", style="bold")]
    problem = None
    try:
        stack_problem(spec)
    except StackError as err:
        problem = str(err)
        parts.append(Text(f"⚠ {problem}", style="bold red"))
    return Group(*parts), problem


def _problem(message: str) -> RenderableType:
    return Text(f"⚠ {message}", style="bold red")


class ModelSummary(Static):
    """Re-rendered by the setup screen whenever the stack or the dataset changes."""

    problem: str | None = None

    _shown: object = None

    def show(self, spec: ExperimentSpec) -> str | None:
        key = (spec.input_shape(), spec.task, repr(spec.layers))
        if key == self._shown:
            return self.problem
        self._shown = key
        renderable, problem = summary_renderable(spec)
        self.problem = problem
        self.update(renderable)
        self.set_class(problem is not None, "-invalid")
        return problem
