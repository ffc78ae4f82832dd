"""Add or edit one layer: a form generated from the catalog, one field per parameter.

Every field is checked with its ``ParamSpec.check`` as the user types; Save stays disabled
while any field is invalid, so an invalid layer never reaches the spec.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from ktui.core.catalog import LAYER_KINDS, LayerKind
from ktui.core.spec import LayerSpec
from ktui.ui.widgets.fields import FieldDef, FieldRow


def _range_hint(p: Any) -> str:
    if p.type in ("int", "float") and (p.min is not None or p.max is not None):
        return f" ({p.range_text()})"
    return ""


class LayerFormScreen(ModalScreen[LayerSpec | None]):
    """Dismisses with the new :class:`LayerSpec`, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("ctrl+s", "save", "Save", id="save"),
    ]

    def __init__(self, layer: LayerSpec | None = None, *, position: int | None = None) -> None:
        super().__init__()
        self.editing = layer is not None
        self.layer_spec = layer or LayerSpec("Dense", {})
        self.position = position

    @property
    def kind(self) -> LayerKind:
        return LAYER_KINDS[self.layer_spec.kind]

    def compose(self) -> ComposeResult:
        self._blink = not getattr(self.app, "test_mode", False)
        verb = "Edit" if self.editing else "Add"
        where = f" {self.position + 1}" if self.position is not None else ""
        with Vertical(id="layer-form"):
            yield Label(f"[b]{verb} layer{where}[/]", id="form-title")
            yield Select([(k, k) for k in LAYER_KINDS], value=self.layer_spec.kind,
                         allow_blank=False, compact=True, id="kind",
                         disabled=self.editing)
            yield Static(self._kind_help(), id="kind-help")
            yield VerticalScroll(*self._rows(), id="params")
            with Horizontal(id="form-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _kind_help(self) -> str:
        kind = self.kind
        origin = f"  [dim]({kind.origin})[/]" if kind.origin else ""
        if not kind.params:
            return f"{kind.help}{origin}\n[dim]No parameters.[/]"
        return f"{kind.help}{origin}"

    def _rows(self) -> list[FieldRow]:
        kind = self.kind
        values = {**kind.defaults(), **self.layer_spec.params}
        return [
            FieldRow(FieldDef(p.name, p.name, p.type, p.help + _range_hint(p), p.choices),
                     values[p.name], p.check, blink=self._blink, id=f"param-{p.name}")
            for p in kind.params
        ]

    def _fit_params(self) -> None:
        """Size the scrolling parameter list to its content, but never past the screen.

        (An auto-height parent does not honour a child's ``max-height`` here, which pushed
        Save off an 80×24 screen.)
        """
        params = self.query_one("#params", VerticalScroll)
        want = sum(c.outer_size.height + c.styles.margin.bottom for c in params.children)
        room = max(self.size.height - 12, 4)
        params.styles.height = max(min(want, room), 1)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_params)

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit_params)
        self._update_save()
        rows = list(self.query(FieldRow))
        if self.editing and rows:
            rows[0].query_one(".field-control").focus()
        else:
            self.query_one("#kind").focus()

    async def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "kind" or event.value == self.layer_spec.kind:
            return
        self.layer_spec = LayerSpec(str(event.value), {})
        self.query_one("#kind-help", Static).update(self._kind_help())
        params = self.query_one("#params", VerticalScroll)
        await params.remove_children()
        await params.mount_all(self._rows())
        self._update_save()
        self.call_after_refresh(self._fit_params)

    def on_field_row_changed(self, event: FieldRow.Changed) -> None:
        self._update_save()
        self.call_after_refresh(self._fit_params)

    @property
    def errors(self) -> list[str]:
        return [f"{row.field.key}: {row.error}" for row in self.query(FieldRow) if not row.valid]

    def _update_save(self) -> None:
        self.query_one("#save", Button).disabled = bool(self.errors)

    def result_layer(self) -> LayerSpec:
        """The layer as entered: parameters that differ from the default or were set before."""
        kind = self.kind
        params = {}
        for row in self.query(FieldRow):
            p = kind.param(row.field.key)
            if row.value != p.default or p.name in self.layer_spec.params:
                params[p.name] = row.value
        return LayerSpec(kind.name, params)

    def action_save(self) -> None:
        if self.errors:
            self.notify(self.errors[0], title="Fix this field first", severity="error")
            return
        self.dismiss(self.result_layer())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

