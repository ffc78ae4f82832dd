"""What the layer form says about a user's layer class: its kind in the picker, its checks.

Pure Rich text from the core's results (:mod:`ktui.core.user_layers.checks`), so the form
only decides when to show it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, LayerKind
from ktui.core.user_layers import verdicts
from ktui.core.user_layers.checks import BATCH, Report
from ktui.core.user_layers.shapes import CheckRefused, Failed

#: Lines of a failure's traceback shown under the checks (the whole one is in the notes).
TRACEBACK_LINES = 4


def kind_options() -> list[tuple[str, str]]:
    """The kind picker's options: ktui's kinds, then the user's with their file's name."""
    options = []
    for name in LAYER_KINDS:
        mine = user_layers.user_kind(name)
        if mine is not None and mine.name != name:
            continue  # a user kind's other name (STEM.Class) is for specs, not a second entry
        options.append((f"{mine.class_name}  · {mine.file_name}" if mine else name, name))
    return options


def kind_help(kind: LayerKind) -> Text:
    """What the kind is, where it comes from (your file and line), and "No parameters."."""
    text = Text(kind.help)
    if kind.origin:
        mine = " · your layer" if user_layers.user_kind(kind.name) else ""
        text.append(f"  ({kind.origin}{mine})", style="dim")
    if not kind.params:
        text.append("\nNo parameters.", style="dim")
    return text


def checks_text(kind: user_layers.UserKind, result: Any, waiting: bool,
                key: tuple[Any, ...] | None = None) -> Text:
    """The checks of ``kind`` as the form shows them: what they ran on, each with ✔ or ⚠,
    then the weights and the output; "running" while TensorFlow works, the user's lines
    when it cannot be built; for a failed check, the key that trains it anyway (``key``:
    the layer as entered, to say whether it is accepted)."""
    text = Text("checks  ", style="bold")
    if result is None:
        words = (f"running (TensorFlow builds {kind.name} and trains it one step on {BATCH} "
                 "rows of the training data)…" if waiting
                 else "run once the fields and the layer's input are fine")
        return text.append(words, style="dim")
    if isinstance(result, Failed):
        text.append(f"not run: {kind.name} cannot be built for this input", style="dim")
        lines = [ln for ln in result.traceback.splitlines() if ln.strip()][-TRACEBACK_LINES:]
        for line in lines:
            text.append(f"\n  {line}", style="red")
        return text
    _, _, report = result
    assert isinstance(report, Report)
    text.append(f"on {report.source}", style="dim")
    for check in report.checks:
        mark, style = ("✔", "green") if check.ok else ("⚠", "bold red")
        text.append(f"\n {mark} ", style=style)
        text.append(check.text, style="" if check.ok else "bold red")
    if report.failure is not None:
        anyway = key is not None and verdicts.accepted(key)
        text.append("\n   " + ("trained anyway despite the failed check (ctrl+y: refuse "
                                "it again)" if anyway else "the run refuses it: ctrl+y trains "
                                "it anyway"), style="bold")
    if report.dtype:
        text.append(f"\n   {report.weights_text()}\n   {report.output_text()}", style="dim")
    return text


__all__ = ["TRACEBACK_LINES", "checks_text", "kind_help", "kind_options"]


def output_of(kind: LayerKind, shape: tuple[int | None, ...],
              params: dict[str, Any]) -> tuple[tuple[int | None, ...], int, bool]:
    """(output shape, parameter count, whether a check refuses it) for the form's shape
    line: a failed check is said once, in the checks below, not again on the shape line."""
    try:
        out, count = kind.output(shape, params)
    except CheckRefused as refused:
        (out, count), failed = refused.found, True
    else:
        failed = False
    return out, count, failed

