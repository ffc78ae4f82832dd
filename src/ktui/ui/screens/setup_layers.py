"""The setup view's layer stack editing: add, edit, remove, move and duplicate layers.

The keys are bound on the LayerStack widget (and ctrl+n on the screen), the buttons under it
run the same actions; each edit goes through the layer form and ends in ``spec_changed``.
F5 (anywhere in the view: a key that types nothing) or ``r`` on the layer list reloads the
user's layer files (``--layers``) after an edit; the stack is then shown and checked again
with the new classes, as it is when TensorFlow has worked out their shapes.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import OptionList

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS
from ktui.core.spec import LayerSpec
from ktui.core.user_layers import verdicts
from ktui.ui.layer_files import (
    LayersReloaded,
    StackChecked,
    apply_reload,
    check_stack_in_thread,
    start_reload,
)
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.setup_base import SetupBase
from ktui.ui.widgets.layer_stack import LayerStack
from ktui.ui.widgets.model_summary import ModelSummary, output_shape_before

#: The layer stack's buttons (for the mouse; every one has a key): id, label, action.
STACK_BUTTONS = (("add", "+ Add", "add_layer"), ("edit", "Edit", "edit_layer"),
                 ("remove", "Remove", "remove_layer"), ("up", "↑", "move_layer(-1)"),
                 ("down", "↓", "move_layer(1)"), ("duplicate", "Dup", "duplicate_layer"))


class LayerEditing(SetupBase):
    """The layer stack's actions on ``app.spec.layers``."""

    BINDINGS = [
        # Not r alone: r types into a focused field (r still reloads on the layer list).
        Binding("f5", "reload_layer_files", "Reload", id="reload_layers_global",
                tooltip="import your layer files (--layers) again after editing them"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F5 is offered (and in the footer) only when layer files were given. On the layer
        list, the list's own hidden r/f5 take the key, so the footer leaves it out there:
        with the list's a/e keys, 80 columns had no room for it and Help was cut."""
        if action == "reload_layer_files":
            return bool(user_layers.registered())
        return super().check_action(action, parameters)

    def action_reload_layer_files(self) -> None:
        """F5 (off the layer list, whose own r/f5 say ``reload_layers``)."""
        self.action_reload_layers()

    @property
    def _index(self) -> int | None:
        for stack in self.query(LayerStack).results(LayerStack):
            return stack.highlighted
        return None

    def _chosen_layer(self) -> int | None:
        """The highlighted layer's index when this view is on top and one is highlighted (an
        action on a closing screen or an empty stack does nothing)."""
        if not self._on_top():
            return None
        index = self._index
        return index if index is not None and index < len(self.spec.layers) else None

    def _layers_changed(self, highlight: int | None = None) -> None:
        if not self._live():
            return
        self.query_one(LayerStack).show_layers(self.spec.layers, highlight)
        self.spec_changed()

    def _focus_stack(self) -> None:
        if self._live():
            self.query_one(LayerStack).focus()

    def action_add_layer(self) -> None:
        if not self._on_top():
            return
        index = self._index
        position = len(self.spec.layers) if index is None else index + 1
        shape, why = output_shape_before(self.spec, position)

        def added(layer: LayerSpec | None) -> None:
            if not self._live():
                return
            if layer is not None:
                position_now = min(position, len(self.spec.layers))
                self.spec.layers.insert(position_now, layer)
                self._layers_changed(position_now)
            self._focus_stack()

        self.app.push_screen(LayerFormScreen(position=position, input_shape=shape,
                                             input_problem=why, spec=self.spec), added)

    def action_edit_layer(self) -> None:
        index = self._chosen_layer()
        if index is None:
            return
        layer = self.spec.layers[index]
        if not isinstance(layer.params, dict) or layer.kind not in LAYER_KINDS:
            self.notify(f"layer {index + 1} ({layer.kind}) cannot be edited in the form; "
                        "remove it (x) and add another", severity="warning")
            return
        shape, why = output_shape_before(self.spec, index)

        def edited(new: LayerSpec | None) -> None:
            if not self._live():
                return
            if new is not None and index < len(self.spec.layers):
                self.spec.layers[index] = new
                self._layers_changed(index)
            self._focus_stack()

        self.app.push_screen(LayerFormScreen(layer, position=index, input_shape=shape,
                                             input_problem=why, spec=self.spec), edited)

    def action_remove_layer(self) -> None:
        index = self._chosen_layer()
        if index is None:
            return
        del self.spec.layers[index]
        self._layers_changed(min(index, len(self.spec.layers) - 1))

    def action_move_layer(self, delta: int) -> None:
        if not self._on_top():
            return
        index = self._index
        layers = self.spec.layers
        if index is None or not 0 <= index + delta < len(layers):
            return
        layers[index], layers[index + delta] = layers[index + delta], layers[index]
        self._layers_changed(index + delta)

    def action_duplicate_layer(self) -> None:
        index = self._chosen_layer()
        if index is None:
            return
        original = self.spec.layers[index]
        self.spec.layers.insert(index + 1, LayerSpec(original.kind, dict(original.params)))
        self._layers_changed(index + 1)

    def layer_commands(self) -> list[tuple[str, str, str]]:
        """The palette's layer commands: (name, help, action)."""
        return [
            ("Add layer", "Add a layer after the highlighted one", "add_layer"),
            ("Edit layer", "Edit the highlighted layer", "edit_layer"),
            ("Remove layer", "Remove the highlighted layer", "remove_layer"),
            ("Duplicate layer", "Copy the highlighted layer below it", "duplicate_layer"),
            ("Move layer up", "", "move_layer(-1)"),
            ("Move layer down", "", "move_layer(1)"),
            ("Reload layer files", "Import your --layers files again after editing them",
             "reload_layers"),
        ]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit_layer()

    # ---- your layers (--layers) -----------------------------------------------------------
    #: The registered layer files' generation and the checks' verdicts last shown (a reload
    #: or a train-anyway in the form changes them).
    _layers_shown: tuple[int, int] = (-1, -1)

    def action_reload_layers(self) -> None:
        """F5 (or ``r`` on the layer list): import the layer files again; the stack is then
        checked with them."""
        if self._on_top():
            start_reload(self)

    def on_layers_reloaded(self, message: LayersReloaded) -> None:
        message.stop()
        if self._live() and apply_reload(self, message):
            self._layers_changed()

    def on_model_summary_shapes_worked_out(self, message: ModelSummary.ShapesWorkedOut
                                          ) -> None:
        message.stop()
        if self._live():
            self.spec_changed()
            if user_layers.uses_user_layers(self.spec):  # then their checks, in a worker
                check_stack_in_thread(self, self.spec.copy(),
                                      getattr(self.app, "data_dir", None))

    def on_stack_checked(self, message: StackChecked) -> None:
        """A check's verdict changed: the status line says it (or no longer)."""
        message.stop()
        if self._live():
            self.spec_changed()

    def on_screen_resume(self) -> None:
        """Back from the layer form, where F5 may have reloaded the classes and ctrl+y let a
        layer train despite a failed check (the status line says so at once)."""
        shown = (user_layers.generation(), verdicts.version())
        if self._live() and self._layers_shown != shown:
            self._layers_shown = shown
            self._layers_changed()
