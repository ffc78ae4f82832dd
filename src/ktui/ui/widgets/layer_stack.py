"""The layer stack: one line per layer, in order, with keys to add/edit/remove/move/duplicate.

The list only shows; the setup screen owns the spec and does the edits (its actions are bound
here so the keys work while the list has focus and show in the footer).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ktui.core.catalog import LAYER_KINDS, LayerKind
from ktui.core.spec import LayerSpec
from ktui.ui.widgets.fields import format_value


def layer_label(index: int, layer: LayerSpec) -> Text:
    """``2 Dense  units=200 relu``: the 1-based number and kind (as the summary, the form and
    the errors say them), the first parameter always, others when not default."""
    kind = LAYER_KINDS.get(layer.kind)
    text = Text(f"{index + 1:>2} ", style="dim")
    text.append(layer.kind, style="bold")
    if kind is None:
        return text.append("  (unknown kind)", style="red")
    try:
        parts = _param_parts(kind, layer)
    except Exception:  # a hand-edited value of an odd type: the summary says what is wrong
        return text.append("  (invalid parameters)", style="red")
    if parts:
        text.append("  " + " ".join(parts), style="")
    return text


def _param_parts(kind: LayerKind, layer: LayerSpec) -> list[str]:
    parts = []
    values = kind.resolve(layer.params)
    for i, p in enumerate(kind.params):
        value: Any = values[p.name]
        if p.name.endswith("_value"):
            continue  # shown with its initializer
        if p.name.endswith("_initializer"):
            if value == p.default:
                continue
            what = p.name.removesuffix("_initializer")
            if value == "constant":
                constant = values.get(what + "_value")
                value = f"{constant:g}" if isinstance(constant, (int, float)) else constant
            parts.append(f"{what}={value}")
            continue
        if i > 0 and value == p.default:
            continue
        if p.type == "choice" and p.name == "activation":
            parts.append(str(value))
        elif p.type == "bool":
            parts.append(p.name if value else f"no {p.name}")
        else:
            shown = format_value(p.type, value) if p.type != "choice" else value
            if p.type in ("shape", "int_pair"):
                shown = f"[{shown}]"
            parts.append(f"{p.name}={shown}")
    return parts


class LayerStack(OptionList):
    """The layers in order; ``highlighted`` is the selected layer."""

    BINDINGS = [
        Binding("a", "screen.add_layer", "Add", id="add_layer"),
        Binding("e", "screen.edit_layer", "Edit", id="edit_layer"),
        Binding("delete,x", "screen.remove_layer", "Remove", id="remove_layer", show=False),
        Binding("enter", "screen.edit_layer", "Edit", id="edit_layer_enter", show=False),
        Binding("shift+up,K", "screen.move_layer(-1)", "Up", id="move_up", show=False),
        Binding("shift+down,J", "screen.move_layer(1)", "Down", id="move_down", show=False),
        Binding("d", "screen.duplicate_layer", "Duplicate", id="duplicate_layer", show=False),
        # f5 too, as everywhere in the setup view (whose footer hides its F5 here: room).
        Binding("r,f5", "screen.reload_layers", "Reload layers", id="reload_layers", show=False,
                tooltip="import your layer files (--layers) again after editing them"),
    ]

    def show_layers(self, layers: list[LayerSpec], highlight: int | None = None) -> None:
        """Replace the options, keeping (or moving) the highlight."""
        keep = self.highlighted if highlight is None else highlight
        self.clear_options()
        self.add_options([Option(layer_label(i, lay), id=f"layer-{i}")
                          for i, lay in enumerate(layers)])
        if layers:
            self.highlighted = min(max(keep or 0, 0), len(layers) - 1)
        # As tall as its layers (and a line to spare), so the summary follows right below
        # on a tall screen; a short screen still shrinks it (its height is 1fr).
        self.styles.max_height = max(len(layers) + 1, 3)
