"""What the layer form says about a user's layer class: its kind in the picker, its checks.

Pure Rich text from the core's results (:mod:`ktui.core.user_layers.checks`), so the form
only decides when to show it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS
from ktui.core.user_layers.checks import BATCH, Report
from ktui.core.user_layers.shapes import Failed

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


def checks_text(kind: user_layers.UserKind, result: Any, waiting: bool) -> Text:
    """The checks of ``kind`` as the form shows them: each with ✔ or ⚠, then the weights and
    the output; "running" while TensorFlow works, the user's lines when it cannot be built."""
    text = Text("checks  ", style="bold")
    if result is None:
        words = (f"running (TensorFlow builds {kind.name} and trains it one step on a random "
                 f"batch of {BATCH})…" if waiting
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
    text.append(f"on a random batch of {BATCH}", style="dim")
    for check in report.checks:
        mark, style = ("✔", "green") if check.ok else ("⚠", "bold red")
        text.append(f"\n {mark} ", style=style)
        text.append(check.text, style="" if check.ok else "bold red")
    if report.dtype:
        text.append(f"\n   {report.weights_text()}\n   {report.output_text()}", style="dim")
    return text


__all__ = ["TRACEBACK_LINES", "checks_text", "kind_options"]
