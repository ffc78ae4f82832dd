"""Add or edit one layer: a form generated from the catalog, one field per parameter.

Every field is checked with its schema ``Field.check`` as the user types (Save is disabled
while one is invalid); a preview line shows the output shape for the input the layer will
get (the catalog's TF-free inference), or why it cannot take that input.

A layer class of the user's own (``--layers``) gets the same form, made from its ``__init__``;
its shape is worked out and its checks run (round trip, model.keras, gradients) by TensorFlow
in a worker (:mod:`ktui.ui.layer_files`: it is the user's code, never run on the UI thread),
shown under the preview with the line in their file when something fails (on rows of the
experiment's training data, as the layer will get them); F5 reloads the file after an edit,
and ctrl+y trains a layer whose check failed anyway (the checks help, the user decides).

Keys can arrive faster than the screen mounts or closes (``e`` then ``esc``, a second
``enter``): the form answers once, once mounted, and assumes no widget survives an ``await``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widget import MountError, Widget
from textual.widgets import Button, Input, Label, Select, Static

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, LayerKind, StackError, format_shape
from ktui.core.spec import LayerSpec
from ktui.core.user_layers import verdicts
from ktui.core.user_layers.checks import Report
from ktui.core.user_layers.params import toml_text
from ktui.core.user_layers.shapes import key as check_key
from ktui.ui.layer_files import (
    LayerProbed,
    LayersReloaded,
    apply_reload,
    probe_in_thread,
    start_reload,
)
from ktui.ui.screens.layer_checks import checks_text, kind_help, kind_options, output_of
from ktui.ui.settings import settings_of
from ktui.ui.widgets.fields import FieldRow, param_def

Shape = tuple[int, ...]
#: ctrl+s saves anywhere; enter only in a field (on the kind selector it opens the list).
KEYS_HINT = "^s save · esc cancel"
RELOAD_HINT = "^s save · esc cancel · f5 reload"
#: Seconds after the last keystroke before a user layer is built and checked again.
PROBE_DELAY = 0.4


class LayerFormScreen(ModalScreen[LayerSpec | None]):
    """Dismisses with the new :class:`LayerSpec`, or None when cancelled.

    ``input_shape`` is what the layer will receive (None when an earlier layer is broken;
    ``input_problem`` then says which), for the live output-shape preview.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        # enter: in a field (Input.Submitted, below) or wherever no widget takes it.
        Binding("ctrl+s,enter", "save", "Save", id="save"),
        # f5 (as in the setup view) or ctrl+r, not r: r types into the focused field.
        Binding("f5,ctrl+r", "reload_layers", "Reload layers", id="reload_layer_files",
                tooltip="import your layer files (--layers) again after editing them"),
        Binding("ctrl+y", "train_anyway", "Train anyway", id="train_anyway",
                tooltip="train this layer although a check failed (or refuse it again)"),
    ]

    def __init__(self, layer: LayerSpec | None = None, *, position: int | None = None,
                 input_shape: Shape | None = None, input_problem: str = "",
                 spec: Any = None) -> None:
        super().__init__()
        #: The experiment (its data and the layers before this one feed the checks).
        self.spec = spec
        self.editing = layer is not None
        self.layer_spec = layer or LayerSpec("Dense", {})
        self.position = position
        self.input_shape = input_shape
        self.input_problem = input_problem
        #: Set once the form has answered: a second answer would pop the screen below it.
        self._answered = False
        #: A user layer's last probe (what it was for, what came of it), and the next one.
        self._probed: tuple[tuple[Any, ...], Any] | None = None
        self._asked: tuple[Any, ...] | None = None
        self._probe_timer: Any = None

    #: Set when ``on_mount`` begins: the fields exist from then on.
    _ready = False

    @property
    def kind(self) -> LayerKind:
        return LAYER_KINDS[self.layer_spec.kind]

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._blink = settings_of(self).cursor_blink
        with Vertical(id="layer-form"):
            yield Label(self._title(), id="form-title")
            yield Select(kind_options(), value=self.layer_spec.kind,
                         allow_blank=False, compact=True, id="kind",
                         disabled=self.editing)
            yield Static(kind_help(self.kind), id="kind-help")
            # Not focusable: its fields are, and focusing one scrolls it into view; a
            # focusable scroll container was an invisible tab stop before the first field.
            yield VerticalScroll(*self._rows(), id="params", can_focus=False)
            yield Static(self._preview(), id="preview")
            yield Static("", id="checks")
            with Horizontal(id="form-buttons"):
                # One line beside the buttons: with --layers, the shorter save keys make room.
                keys = RELOAD_HINT if user_layers.registered() else KEYS_HINT
                yield Static(Text(keys, style="dim"), id="form-keys")
                yield Button("Save", variant="primary", id="save", compact=True,
                             action="screen.save")
                yield Button("Cancel", id="cancel", compact=True, action="screen.cancel")

    def _title(self) -> Text:
        """``Edit layer 2 (Dense)``: the number the layer list and the errors use."""
        verb = "Edit" if self.editing else "Add"
        where = f" {self.position + 1}" if self.position is not None else ""
        return Text(f"{verb} layer{where} ({self.layer_spec.kind})", style="bold")

    def _rows(self) -> list[FieldRow]:
        kind = self.kind
        values = kind.resolve(self.layer_spec.params)
        for p in kind.params:  # a TOML value a spec gave as itself (rate = 0.2): as its text
            if p.any_value and not isinstance(values[p.name], str):
                values[p.name] = toml_text(values[p.name])
        return [
            FieldRow(param_def(p), values[p.name], p.check, blink=self._blink,
                     id=f"param-{p.name}")
            for p in kind.params
        ]

    def _fit_params(self) -> None:
        """Size the scrolling parameter list to its content, but never past the screen.

        (An auto-height parent does not honour a child's ``max-height`` here, which pushed
        Save off an 80×24 screen.)
        """
        if not self.is_attached:
            return  # closed before the refresh came
        for params in self.query("#params").results(VerticalScroll):
            want = sum(c.outer_size.height + c.styles.margin.bottom for c in params.children)
            # What the rest of the form takes, as laid out (an estimate here was one row off
            # at 80x24, and which way depended on when the checks' text came); a row is left
            # free above and below, so the footer stays in sight.
            form = params.parent
            if not isinstance(form, Widget):
                continue
            rest = form.outer_size.height - form.size.height + sum(
                c.outer_size.height + c.styles.margin.top + c.styles.margin.bottom
                for c in form.children if c is not params and c.display)
            room = max(self.size.height - 2 - rest, 4)
            # Short by only the last field's blank margin: take that row rather than scroll.
            slack = params.children[-1].styles.margin.bottom if params.children else 0
            params.styles.height = max(want if want - slack <= room else room, 1)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_params)

    def on_mount(self) -> None:
        self._ready = True
        self.call_after_refresh(self._fit_params)
        self._update()
        rows = list(self.query(FieldRow))
        target = rows[0].query(".field-control").first() if self.editing and rows else None
        for widget in (target, *self.query("#kind"), *self.query("#save")):
            if widget is not None and widget.focusable:
                widget.focus()
                break

    async def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "kind" or event.value == self.layer_spec.kind \
                or event.value not in LAYER_KINDS or not self.is_attached:
            return
        await self._show_kind(LayerSpec(str(event.value), {}))

    async def _show_kind(self, layer: LayerSpec) -> None:
        """Rebuild the form for ``layer`` (another kind, or a reloaded class)."""
        self.layer_spec = layer
        self._probed = self._asked = None
        try:
            self.query_one("#kind-help", Static).update(kind_help(self.kind))
            self.query_one("#form-title", Label).update(self._title())
            params = self.query_one("#params", VerticalScroll)
            await params.remove_children()
            if not self.is_attached:
                return
            await params.mount_all(self._rows())
        except (NoMatches, MountError):
            return  # the form closed while the fields were being replaced
        self._update()
        self.call_after_refresh(self._fit_params)

    def on_field_row_changed(self, event: FieldRow.Changed) -> None:
        self._update(probe_after=PROBE_DELAY)
        self.call_after_refresh(self._fit_params)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field saves, as in any form (or says which field is wrong)."""
        event.stop()
        self.action_save()

    # ---- state ------------------------------------------------------------------------------
    @property
    def errors(self) -> list[str]:
        return [f"{row.field.key}: {row.error}" for row in self.query(FieldRow) if not row.valid]

    def _update(self, probe_after: float = 0.0) -> None:
        """Enable Save and redraw the shape preview (both follow every keystroke); a user
        layer is built and checked again ``probe_after`` seconds after the last change."""
        for button in self.query("#save").results(Button):
            button.disabled = bool(self.errors)
        for preview in self.query("#preview").results(Static):
            preview.update(self._preview())
        self._show_checks()
        if self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
        if probe_after:
            self._probe_timer = self.set_timer(probe_after, self._probe)
        else:
            self._probe()

    def _preview(self) -> Text:
        """``(None, 784) → (None, 200) · 157,000 params``, or why this layer cannot work."""
        text = Text("shape  ", style="bold")
        if self.input_shape is None:
            reason = self.input_problem or "the layers before this one have a problem"
            return text.append(f"unknown input: {reason}", style="dim")
        if self._ready and self.errors:
            return text.append("fix the field marked above to see the output shape",
                               style="dim")
        kind = self.kind
        params = {**self.layer_spec.params, **self._values()}
        text.append(format_shape(self.input_shape) + " → ")
        try:
            out, count, failed = output_of(kind, tuple(self.input_shape), params)
        except user_layers.ShapePending:
            return text.append(f"working it out (TensorFlow builds {kind.name})…", style="dim")
        except StackError as err:
            return text.append(f"⚠ {err}", style="bold red")
        except Exception as err:  # a value the checks let through but inference cannot use
            return text.append(f"⚠ cannot work out the shape ({err})", style="bold red")
        text.append(format_shape(out), style="bold").append(f" · {count:,} params")
        return text.append("  ⚠ a check failed (below)", style="bold red") if failed else text

    def _values(self) -> dict[str, Any]:
        if not self._ready:
            return {}
        return {row.field.key: row.value for row in self.query(FieldRow)}

    def result_layer(self) -> LayerSpec:
        """The layer as entered: parameters that differ from the default or were set before."""
        kind = self.kind
        params = {}
        for row in self.query(FieldRow):
            p = kind.param(row.field.key)
            if row.value != p.default or p.name in self.layer_spec.params:
                params[p.name] = row.value
        return LayerSpec(kind.name, params)

    # ---- answering --------------------------------------------------------------------------
    def _answer(self, result: LayerSpec | None) -> None:
        """Dismiss once, and only while this form is the screen on top."""
        if self._answered or not self.is_attached or self.app.screen is not self:
            return
        self._answered = True
        self.dismiss(result)

    def action_save(self) -> None:
        if not self._ready:
            self.call_later(self.action_save)  # a key that came before the form was ready
            return
        if self._answered:
            return
        errors = self.errors
        if errors:
            self.notify(errors[0], title="Fix this field first", severity="error")
            return
        self._answer(self.result_layer())

    def action_cancel(self) -> None:
        if not self._ready:
            self.call_later(self.action_cancel)
            return
        self._answer(None)

    # ---- your layers (--layers) -------------------------------------------------------------
    def _user_kind(self) -> user_layers.UserKind | None:
        return user_layers.user_kind(self.layer_spec.kind)

    def _probe_target(self) -> tuple[tuple[Any, ...], user_layers.UserKind, dict[str, Any]] | None:
        """What a probe of the layer as entered is for, when it is a user layer whose fields
        are fine and whose input is known."""
        kind = self._user_kind()
        if kind is None or self.input_shape is None or not self._ready or self.errors:
            return None
        params = {**self.layer_spec.params, **self._values()}
        return check_key(kind, tuple(self.input_shape), kind.resolve(params)), kind, params

    def _probe(self) -> None:
        """Build and check the user layer as entered, in a worker (once per change)."""
        self._probe_timer = None
        target = self._probe_target() if self.is_attached else None
        if target is None or target[0] == self._asked or self.input_shape is None:
            return
        key, kind, params = target
        self._asked = key
        probe_in_thread(self, key, kind, tuple(self.input_shape), params, spec=self.spec,
                        index=self.position or 0, data_dir=getattr(self.app, "data_dir", None))

    def on_layer_probed(self, message: LayerProbed) -> None:
        message.stop()
        self._probed = (message.key, message.result)
        if not self.is_attached:
            return
        for preview in self.query("#preview").results(Static):
            preview.update(self._preview())
        self._show_checks()
        self.refresh_bindings()  # ctrl+y is offered while a check fails
        self.call_after_refresh(self._fit_params)

    def _shown_report(self) -> tuple[tuple[Any, ...], Report] | None:
        """The checks' report for the layer as entered now, with its key (None: none yet)."""
        target = self._probe_target()
        if self._probed is None or target is None or self._probed[0] != target[0]:
            return None
        result = self._probed[1]
        return (target[0], result[2]) if isinstance(result, tuple) else None

    def _show_checks(self) -> None:
        """The checks of a user layer (hidden for ktui's own kinds)."""
        kind = self._user_kind()
        for checks in self.query("#checks").results(Static):
            checks.display = kind is not None
            if kind is None:
                continue
            target = self._probe_target()
            done = self._probed is not None and target is not None \
                and self._probed[0] == target[0]
            checks.update(checks_text(kind, self._probed[1] if done and self._probed else None,
                                      waiting=target is not None,
                                      key=target[0] if target is not None else None))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload_layers":
            return bool(user_layers.registered())
        if action == "train_anyway":
            shown = self._shown_report() if self._ready else None
            return shown is not None and shown[1].failure is not None
        return True

    def action_train_anyway(self) -> None:
        """``ctrl+y``: train this layer although a check failed; again: refuse it again."""
        shown = self._shown_report() if self._ready and not self._answered else None
        if shown is None or shown[1].failure is None:
            return
        key = shown[0]
        verdicts.accept(key, not verdicts.accepted(key))
        self._show_checks()
        self.notify("The run trains this layer despite its failed check: its warning goes "
                    "into the run's log." if verdicts.accepted(key) else
                    "A failed check refuses this layer again.", title="Train anyway",
                    timeout=5)

    def action_reload_layers(self) -> None:
        """F5 or ``ctrl+r``: import the layer files again (after the user edited them)."""
        if self._ready and not self._answered:
            start_reload(self)

    async def on_layers_reloaded(self, message: LayersReloaded) -> None:
        message.stop()
        if not self.is_attached or not apply_reload(self, message):
            return
        for select in self.query("#kind").results(Select):
            with self.prevent(Select.Changed):
                select.set_options(kind_options())
                if self.layer_spec.kind in LAYER_KINDS:
                    select.value = self.layer_spec.kind
        kind = LAYER_KINDS.get(self.layer_spec.kind)
        if kind is None:  # the class left the file: back to ktui's first kind
            self.notify(f"{self.layer_spec.kind} is no longer in your layer file.",
                        severity="warning", timeout=6)
            first = next(iter(LAYER_KINDS))
            for select in self.query("#kind").results(Select):
                with self.prevent(Select.Changed):
                    select.value = first
            await self._show_kind(LayerSpec(first, {}))
            return
        names = {p.name for p in kind.params}
        values = {**self.layer_spec.params, **self._values()}
        await self._show_kind(LayerSpec(kind.name, {k: v for k, v in values.items()
                                                    if k in names}))
